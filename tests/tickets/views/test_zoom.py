"""The ticket zoom, its print view and attachment downloads."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from otrs.permissions import PermissionKey
from tests import factories
from tickets import actions, downloads
from tickets.actions import ArticleInput, AttachmentInput
from tickets.choices import Channel, LinkType, SenderType
from tickets.models import Article, Attachment, TicketFlag
from tickets.views import zoom as zoom_views

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PAYLOAD = SCRIPT + IMG


@pytest.fixture(autouse=True)
def _attachments_in_db(settings):
    settings.ATTACHMENT_STORAGE = "db"


@pytest.fixture
def ticket(support):
    return factories.ticket(support.queue, customer_user="carol", customer_id="ACME")


def zoom_url(pk: int) -> str:
    return reverse("agent:zoom", args=[pk])


def print_url(pk: int) -> str:
    return reverse("agent:print", args=[pk])


def attachment_url(pk: int) -> str:
    return reverse("agent:attachment", args=[pk])


def login(client, user) -> Client:
    client.force_login(user)
    return client


def attach(ticket, actor, filename="report.pdf", content=b"%PDF-1.4 data", content_type=None):
    article = actions.add_article(
        ticket,
        ArticleInput(
            body="See attached.",
            subject="Files",
            attachments=[
                AttachmentInput(filename, content, content_type or "application/octet-stream")
            ],
        ),
        actor=actor,
    )
    return Attachment.objects.get(article=article)


def outside_srcdoc(html: str) -> str:
    """The page without the (escaped) contents of srcdoc attributes."""
    return re.sub(r'srcdoc="[^"]*"', 'srcdoc=""', html)


def executable_markup(html: str) -> list[str]:
    """Script elements other than the page's own agent.js, and inline event handlers."""
    scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)
        if "otrs/agent" not in tag
    ]
    handlers = re.findall(r"<[^>]+\son[a-z]+\s*=", html, flags=re.IGNORECASE)
    links = re.findall(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", html, flags=re.IGNORECASE)
    return scripts + handlers + links


# --- access ----------------------------------------------------------------------------------


def test_it_shows_the_zoom_to_an_rw_agent(client, support, ticket):
    response = login(client, support.rw).get(zoom_url(ticket.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.number in html
    assert "Printer on fire" in html
    for text in ("Support", "carol", "ACME", "normal", "Unclassified", "unlocked", "It smokes."):
        assert text in html
    assert "{#" not in html and "{%" not in html  # no template comment leaks into the page


def test_it_shows_the_zoom_and_print_view_to_an_ro_agent(client, support, ticket):
    login(client, support.ro)
    for url in (zoom_url(ticket.pk), print_url(ticket.pk)):
        response = client.get(url)
        assert response.status_code == 200
        assert ticket.number in response.content.decode()


@pytest.mark.parametrize("url", [zoom_url, print_url])
def test_it_answers_a_refused_agent_like_a_missing_ticket(client, support, ticket, url):
    login(client, support.outsider)
    refused = client.get(url(ticket.pk))
    missing = client.get(url(ticket.pk + 1000))

    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content
    assert not TicketFlag.objects.filter(user=support.outsider).exists()


def test_it_answers_a_refused_attachment_like_a_missing_one(client, support, ticket):
    attachment = attach(ticket, support.rw)
    login(client, support.outsider)

    refused = client.get(attachment_url(attachment.pk))
    missing = client.get(attachment_url(attachment.pk + 1000))

    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content


@pytest.mark.parametrize("name", ["zoom", "print"])
def test_it_sends_anonymous_visitors_to_the_agent_login(client, ticket, name):
    response = client.get(reverse(f"agent:{name}", args=[ticket.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/agent/login/")


def test_it_refuses_customers(client, support, ticket):
    attachment = attach(ticket, support.rw)
    login(client, factories.customer("carol"))

    for url in (zoom_url(ticket.pk), print_url(ticket.pk), attachment_url(attachment.pk)):
        response = client.get(url)
        assert response.status_code == 403
        assert b"Agents only" in response.content


def test_it_only_reads(client, support, ticket):
    """The zoom's pages are GET only; a POST (with or without a token) changes nothing."""
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(support.rw)
    assert csrf_client.post(zoom_url(ticket.pk)).status_code == 403
    login(client, support.rw)
    assert client.post(zoom_url(ticket.pk)).status_code == 405
    assert client.post(print_url(ticket.pk)).status_code == 405
    assert not TicketFlag.objects.filter(user=support.rw).exists()


# --- the action bar ----------------------------------------------------------------------------


def action_url(name: str, *args: int) -> str:
    return reverse(f"agent:{name}", args=args)


def offered(response) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', response.content.decode())


def menus(html: str) -> dict[str, list[str]]:
    """The actions of each <details> menu of the action bar (they open without JavaScript)."""
    found = re.findall(r'<details class="menu" data-menu="([a-z]+)">(.*?)</details>', html, re.S)
    return {key: re.findall(r'data-action="([a-z_]+)"', body) for key, body in found}


def test_it_offers_an_rw_agent_every_action(client, support, ticket):
    factories.grant(support.rw, support.group, "move_into")
    response = login(client, support.rw).get(zoom_url(ticket.pk))

    # The everyday actions as buttons, the rest in menus as OTRS clusters them.
    assert offered(response) == [
        "note",
        "close",
        "pending",
        "move",
        "lock",
        "print",
        "phone_inbound",
        "phone_outbound",
        "owner",
        "responsible_change",
        "customer",
        "priority",
        "free_fields",
        "link",
        "ticket_faq",
        "merge",
        "watch",
    ]
    html = response.content.decode()
    assert menus(html) == {
        "communication": ["phone_inbound", "phone_outbound"],
        "people": ["owner", "responsible_change", "customer"],
        "misc": ["priority", "free_fields", "link", "ticket_faq", "merge", "watch"],
    }
    assert f'action="{action_url("lock", ticket.pk)}"' in html  # a POST form, with its token
    assert "csrfmiddlewaretoken" in html
    assert f'href="{action_url("note", ticket.pk)}"' in html


def test_it_offers_an_ro_agent_only_watch_and_print(client, support, ticket):
    response = login(client, support.ro).get(zoom_url(ticket.pk))

    assert offered(response) == ["print", "watch"]
    assert 'data-article-action="reply"' not in response.content.decode()


def test_it_offers_each_action_for_its_own_key(client, support, ticket):
    noter = factories.agent("noter")
    factories.grant(noter, support.group, "ro", "note", "priority")

    response = login(client, noter).get(zoom_url(ticket.pk))

    assert offered(response) == ["note", "print", "priority", "watch"]


def test_it_follows_the_lock_and_watch_state(client, support, ticket):
    actions.lock_ticket(ticket, actor=support.rw)
    actions.watch_ticket(ticket, actor=support.rw)

    names = offered(login(client, support.rw).get(zoom_url(ticket.pk)))

    assert "unlock" in names and "lock" not in names
    assert "unwatch" in names and "watch" not in names


def test_it_offers_reply_links_per_article_to_rw_only(client, support, ticket):
    first = ticket.articles.get()
    second = factories.note(ticket, body="A second article")
    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()
    for article in (first, second):
        for name in ("reply", "reply_all", "forward"):
            url = action_url(name, ticket.pk, article.pk)
            assert f'href="{url}" data-article-action="{name}"' in html

    ro_html = login(client, support.ro).get(zoom_url(ticket.pk)).content.decode()
    assert "data-article-action" not in ro_html


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the zoom's POST form to ``action``."""
    match = re.search(rf'<form [^>]*action="{re.escape(action)}">(.*?)</form>', html, re.S)
    assert match, f"no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(1)))


@pytest.mark.parametrize("name", ["lock", "watch"])
def test_its_buttons_go_through_the_action_views(client, support, ticket, name):
    """Submitted as rendered (CSRF token, the version the agent saw), a button acts without
    an edit conflict, even after others changed the ticket before the zoom was opened."""
    url = action_url(name, ticket.pk)
    actions.set_priority(ticket, factories.priority(4), actor=factories.system())
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(support.rw)
    html = csrf_client.get(zoom_url(ticket.pk)).content.decode()

    response = csrf_client.post(url, form_fields(html, url))

    assert response.status_code == 302
    ticket.refresh_from_db()
    if name == "lock":
        assert ticket.lock == "lock"
    else:
        assert ticket.watchers.filter(user=support.rw).exists()


def test_its_unlink_button_goes_through_the_action_view(client, support, ticket):
    url = action_url("unlink", ticket.pk)
    other = factories.ticket(support.queue)
    actions.link_tickets(ticket, other, actor=support.rw)
    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    response = client.post(url, form_fields(html, url))

    assert response.status_code == 302
    assert not ticket.links_out.exists() and not ticket.links_in.exists()


# --- articles ----------------------------------------------------------------------------------


def test_it_marks_internal_articles_in_words(client, support, ticket):
    actions.add_article(
        ticket, ArticleInput(body="Only for us.", subject="Internal thought"), actor=support.rw
    )

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    internal = re.search(
        r'<article id="article-\d+" class="([^"]*)"[^>]*>(?:(?!</article>).)*Only for us',
        html,
        re.S,
    )
    assert internal is not None
    assert "internal" in internal.group(1).split()
    assert "Internal \N{EN DASH} not visible to the customer" in internal.group(0)
    visible = re.search(
        r'<article [^>]*class="([^"]*)"[^>]*>(?:(?!</article>).)*It smokes', html, re.S
    )
    assert "internal" not in visible.group(1).split()
    assert "Visible to the customer" in visible.group(0)


def test_it_shows_sender_channel_and_addresses(client, support, ticket):
    actions.add_article(
        ticket,
        ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            from_address="Carol <carol@example.com>",
            to_address="support@example.com",
            cc_address="boss@example.com",
            subject="Still smoking",
            body="Help!",
        ),
        actor=support.rw,
    )

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert "customer via email" in html
    assert "customer via phone" in html
    assert "Carol &lt;carol@example.com&gt;" in html
    assert "boss@example.com" in html
    assert "Still smoking" in html


def test_it_renders_html_mail_inert_in_a_sandbox(client, support, ticket):
    actions.add_article(
        ticket,
        ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            subject="HTML mail",
            body="plain fallback",
            body_html=(
                f'<p>Hello "friend"</p>{PAYLOAD}<a href="javascript:alert(1)">click</a>'
                '<svg onload="alert(1)"></svg><iframe src="https://evil.example/"></iframe>'
            ),
        ),
        actor=support.rw,
    )

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert executable_markup(outside_srcdoc(html)) == []
    # Same origin (so the zoom can size the frame to its content), never scripts or forms.
    (srcdoc,) = re.findall(r'<iframe [^>]*sandbox="allow-same-origin"[^>]*srcdoc="([^"]*)"', html)
    assert "allow-scripts" not in html and "allow-forms" not in html
    assert "&lt;p&gt;Hello &quot;friend&quot;&lt;/p&gt;" in srcdoc
    assert "<" not in srcdoc and ">" not in srcdoc
    # What the stored (sanitised) HTML could never carry, the frame does not either.
    assert "script" not in srcdoc and "onerror" not in srcdoc and "javascript" not in srcdoc
    assert "plain fallback" in html


def test_it_escapes_stored_html_even_if_it_was_not_sanitised(client, support, ticket):
    """Defence in depth: a row written around the actions (an old import, say) still cannot
    break out of the srcdoc attribute or run in the page."""
    article = ticket.articles.get()
    Article.objects.filter(pk=article.pk).update(body_html=f'"><b>x</b>{PAYLOAD}')

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert executable_markup(outside_srcdoc(html)) == []
    assert "&quot;&gt;&lt;b&gt;x&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'sandbox="allow-same-origin"' in html


def test_it_escapes_user_text_everywhere(client, support):
    ticket = factories.ticket(
        support.queue, title=f"Title {PAYLOAD}", body=f"Body {PAYLOAD}", customer_user=PAYLOAD
    )
    attach(ticket, support.rw, filename=f"{PAYLOAD}.txt")

    for url in (zoom_url(ticket.pk), print_url(ticket.pk)):
        html = login(client, support.rw).get(url).content.decode()
        assert executable_markup(outside_srcdoc(html)) == []
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_it_lists_attachments_with_size_and_link(client, support, ticket):
    attachment = attach(ticket, support.rw, filename="report.pdf", content=b"x" * 2048)

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert f'href="{attachment_url(attachment.pk)}"' in html
    assert "report.pdf" in html
    assert "2.0\xa0KB" in html


def test_it_lists_older_articles_of_a_long_ticket_in_one_line_each(client, support, ticket):
    for n in range(zoom_views.EXPANDED_ARTICLES + 2):
        factories.note(ticket, body=f"note {n}")
    first = ticket.articles.order_by("created_at", "id").first()
    login(client, support.rw)

    html = client.get(zoom_url(ticket.pk)).content.decode()
    assert html.count('<li class="article-line') == 3
    assert html.count('<article id="article-') == zoom_views.EXPANDED_ARTICLES
    assert f'href="?articles=all#article-{first.pk}"' in html
    assert "It smokes." not in html and "note 11" in html
    assert "13 articles" in html

    expanded = client.get(zoom_url(ticket.pk) + "?articles=all").content.decode()
    assert "article-line" not in expanded
    assert expanded.count('<article id="article-') == zoom_views.EXPANDED_ARTICLES + 3
    assert "It smokes." in expanded and "note 0" in expanded


def test_it_keeps_queries_constant_in_the_number_of_articles(
    client, support, django_assert_max_num_queries
):
    small = factories.ticket(support.queue)
    large = factories.ticket(support.queue)
    for target, count in ((small, 10), (large, 100)):
        factories.note(target, body="with a file")
        attach(target, support.rw, filename="a.txt", content=b"a")
        for n in range(count - 3):
            factories.note(target, body=f"note {n}")
        assert target.articles.count() == count
    login(client, support.rw)
    # Warm the caches (the custom field definitions are read once, then cached).
    client.get(print_url(small.pk))

    counts = []
    for target in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(zoom_url(target.pk)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # Pinned (SQLite): session (read, save), user, ticket, grants (2), articles, attachments,
    # history, history names, watchers, seen flags, links, merged-from, the bodies of the
    # newest articles, and mark_seen (unseen articles, one bulk insert, the ticket flag,
    # savepoints), and the custom fields of the zoom (their definitions; with fields defined
    # also their possible values and the values: tests/fields/test_query_counts.py), and the
    # time units accounted per article (one query), and the ticket's place in a process (one
    # query; none for the print view).
    assert counts[1] <= 29
    # Seen already: mark_seen writes nothing more.
    with django_assert_max_num_queries(24):
        client.get(zoom_url(large.pk) + "?articles=all")
    with django_assert_max_num_queries(17):
        client.get(print_url(large.pk))


# --- seen, history, time zone ------------------------------------------------------------------


def test_it_marks_the_ticket_seen(client, support, ticket):
    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert TicketFlag.objects.filter(ticket=ticket, user=support.rw, key="seen").exists()
    assert 'class="badge unseen-label"' in html  # the article was new to this agent
    again = client.get(zoom_url(ticket.pk)).content.decode()
    assert 'class="badge unseen-label"' not in again


def test_the_print_view_does_not_mark_seen(client, support, ticket):
    login(client, support.rw).get(print_url(ticket.pk))

    assert not TicketFlag.objects.filter(ticket=ticket, user=support.rw).exists()


def test_it_shows_the_history_as_sentences_with_actor(client, support, ticket):
    actions.set_state(ticket, factories.state("open"), actor=support.rw)

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert f"Ticket {ticket.number} created in queue Support." in html
    assert "State changed from “new” to “open”." in html
    assert '<details class="card history-box" id="history">' in html
    assert '<span class="actor">rw_agent</span>' in html


def test_it_speaks_the_agents_language(client, support, ticket):
    support.rw.language = "de"
    support.rw.save()
    factories.note(ticket)

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert f"Ticket {ticket.number} in der Queue Support erstellt." in html
    assert "Notiz hinzugefügt." in html
    assert '<html lang="de"' in html


def test_it_shows_times_in_the_agents_time_zone(client, support):
    support.rw.time_zone = "Europe/Berlin"
    support.rw.save()
    until = dt.datetime(2030, 1, 15, 10, 0, tzinfo=dt.UTC)
    ticket = factories.ticket(
        support.queue, state=factories.state("pending reminder"), pending_until=until
    )

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert "Pending until" in html
    assert '<time datetime="2030-01-15T11:00:00+01:00">' in html


# --- links, watchers, merges -------------------------------------------------------------------


def test_it_lists_linked_tickets_the_agent_may_see(client, support, ticket):
    child = factories.ticket(support.queue, title="The child")
    other = factories.ticket(support.queue, title="A sibling")
    hidden_queue = factories.queue("Hidden")
    hidden = factories.ticket(hidden_queue, title="Secret neighbour")
    actions.link_tickets(ticket, child, LinkType.PARENT_CHILD, actor=support.rw)
    actions.link_tickets(other, ticket, actor=support.rw)
    actions.link_tickets(ticket, hidden, actor=factories.system())

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()
    assert re.search(rf'Child</span>\s*<a href="{zoom_url(child.pk)}">', html)
    assert re.search(rf'Linked</span>\s*<a href="{zoom_url(other.pk)}">', html)
    assert "The child" in html and "A sibling" in html
    # The link is not shown (the ticket's own history still names the number, as in OTRS).
    assert "Secret neighbour" not in html
    assert f'href="{zoom_url(hidden.pk)}"' not in html

    child_html = client.get(zoom_url(child.pk)).content.decode()
    assert re.search(rf'Parent</span>\s*<a href="{zoom_url(ticket.pk)}">', child_html)


def test_it_lists_watchers(client, support, ticket):
    actions.watch_ticket(ticket, actor=support.ro)

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert '<ul class="watchers">' in html
    assert "<li>ro_agent</li>" in html


def test_it_points_a_merged_ticket_to_its_target(client, support, ticket):
    target = factories.ticket(support.queue, title="The survivor")
    actions.merge_tickets(ticket, target, actor=support.rw)
    login(client, support.rw)

    html = client.get(zoom_url(ticket.pk)).content.decode()
    assert "This ticket was merged into" in html
    assert f'<a href="{zoom_url(target.pk)}">ticket {target.number}</a>' in html

    target_html = client.get(zoom_url(target.pk)).content.decode()
    assert "Merged into this ticket" in target_html
    assert f'<a href="{zoom_url(ticket.pk)}">' in target_html


def test_it_follows_a_merge_chain(client, support, ticket):
    middle = factories.ticket(support.queue)
    last = factories.ticket(support.queue)
    actions.merge_tickets(ticket, middle, actor=support.rw)
    actions.merge_tickets(middle, last, actor=support.rw)

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()

    assert f'<a href="{zoom_url(middle.pk)}">ticket {middle.number}</a>' in html
    assert f'later merged into <a href="{zoom_url(last.pk)}">ticket {last.number}</a>' in html


def test_it_does_not_name_a_merge_target_the_reader_may_not_see(client, support, ticket):
    hidden_queue = factories.queue("Hidden")
    middle = factories.ticket(support.queue)
    hidden = factories.ticket(hidden_queue)
    merger = factories.agent()
    factories.grant(merger, support.group, PermissionKey.RW)
    factories.grant(merger, hidden_queue.group, PermissionKey.RW)
    actions.merge_tickets(ticket, middle, actor=merger)
    actions.merge_tickets(middle, hidden, actor=merger)

    html = login(client, support.rw).get(zoom_url(ticket.pk)).content.decode()
    header = html.split('<section class="card"')[0]

    assert f'<a href="{zoom_url(middle.pk)}">ticket {middle.number}</a>' in header
    assert "That ticket was later merged into another ticket." in header
    assert hidden.number not in header
    assert zoom_url(hidden.pk) not in html


def test_it_offers_a_merged_ticket_only_unmerge_and_print(client, support, ticket):
    target = factories.ticket(support.queue)
    actions.merge_tickets(ticket, target, actor=support.rw)

    response = login(client, support.rw).get(zoom_url(ticket.pk))

    assert offered(response) == ["unmerge", "print"]


# --- print view --------------------------------------------------------------------------------


def test_the_print_view_has_everything_open_and_no_navigation(client, support, ticket):
    for n in range(zoom_views.EXPANDED_ARTICLES + 2):
        factories.note(ticket, body=f"note {n}")

    html = login(client, support.rw).get(print_url(ticket.pk)).content.decode()

    assert 'class="topbar"' not in html
    assert "ticket-actions" not in html
    assert "article-line" not in html
    assert html.count('<article id="article-') == zoom_views.EXPANDED_ARTICLES + 3
    assert '<details class="card history-box" id="history" open>' in html
    assert ticket.number in html and "It smokes." in html


# --- attachment download -----------------------------------------------------------------------


def test_it_downloads_an_attachment_with_safe_headers(client, support, ticket):
    attachment = attach(ticket, support.rw, "report.pdf", b"%PDF-1.4 data", "application/pdf")

    response = login(client, support.ro).get(attachment_url(attachment.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 data"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(
    "stored",
    [
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "image/svg+xml",
        "application/xhtml+xml",
        "text/xml",
        "application/javascript",
        "",
        "no type at all",
        "application/x-unknown-thing",
    ],
)
def test_it_serves_risky_or_unknown_types_as_octet_stream(client, support, ticket, stored):
    attachment = attach(ticket, support.rw, "page.html", SCRIPT.encode(), stored or None)
    Attachment.objects.filter(pk=attachment.pk).update(content_type=stored)

    response = login(client, support.rw).get(attachment_url(attachment.pk))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("image/png", "image/png"),
        ("text/plain; charset=ISO-8859-1", "text/plain; charset=ISO-8859-1"),
        ('text/plain; charset="x"\r\nSet-Cookie: a=b', "text/plain; charset=x"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
    ],
)
def test_it_keeps_harmless_types(stored, served):
    assert downloads.served_content_type(stored) == (served or stored)


@pytest.mark.parametrize(
    ("filename", "disposition"),
    [
        ('say "hi".txt', 'attachment; filename="say \\"hi\\".txt"'),
        ("two\r\nlines.txt", 'attachment; filename="two_lines.txt"'),
        ("Grüße €.pdf", "attachment; filename*=utf-8''Gr%C3%BC%C3%9Fe%20%E2%82%AC.pdf"),
        ("\x00\x07", 'attachment; filename="attachment"'),
    ],
)
def test_it_sends_awkward_file_names_safely(client, support, ticket, filename, disposition):
    attachment = attach(ticket, support.rw, filename, b"data", "text/plain")

    response = login(client, support.rw).get(attachment_url(attachment.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition


def test_it_downloads_from_the_file_system_storage(
    client, support, ticket, settings, tmp_path, monkeypatch
):
    settings.ATTACHMENT_STORAGE = "fs"
    monkeypatch.setattr(
        Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path)
    )
    attachment = attach(ticket, support.rw, "image.png", b"\x89PNG bytes", "image/png")
    assert not attachment.in_database

    response = login(client, support.rw).get(attachment_url(attachment.pk))

    assert b"".join(response.streaming_content) == b"\x89PNG bytes"
    assert response["Content-Type"] == "image/png"
    response.close()
