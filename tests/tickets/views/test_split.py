"""Split (issue 18, part 6; OTRS AgentTicketSplit): a new phone or email ticket prefilled
from an article, made and linked as the child of its ticket in one action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.mail.models import OutboundMessage
from otrs.permissions import PermissionKey
from tests import factories
from tickets import actions
from tickets.choices import Channel, HistoryType, LinkType, SenderType
from tickets.models import State, Ticket, TicketHistory, TicketLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(support):
    factories.grant(support.rw, support.group, PermissionKey.CREATE)
    return factories.ticket(
        support.queue, title="Split source", body="Two problems: printer and scanner."
    )


def split_url(ticket, article=None):
    article = article or ticket.articles.first()
    return reverse("agent:split", args=[ticket.pk, article.pk])


def test_the_form_is_prefilled_from_the_article(client, support, source):
    client.force_login(support.rw)
    page = client.get(split_url(source)).content.decode()
    assert "Split into a new ticket" in page
    assert 'value="Split source"' in page
    assert "Two problems: printer and scanner.</textarea>" in page


def test_it_makes_a_child_ticket_and_says_so_in_the_history(client, support, source):
    client.force_login(support.rw)
    answer = client.post(
        split_url(source),
        {
            "customer": "split-customer@example.com",
            "queue": support.queue.pk,
            "title": "Scanner part",
            "body": "The scanner.",
            "state": State.objects.get(name="open").pk,
            "priority": factories.priority(3).pk,
            "type": source.type_id,
        },
    )
    child = Ticket.objects.exclude(pk=source.pk).get()
    assert answer.status_code == 302 and answer.url == reverse("agent:zoom", args=[child.pk])
    assert child.title == "Scanner part"
    link = TicketLink.objects.get()
    assert (link.source_id, link.target_id, link.link_type) == (
        source.pk,
        child.pk,
        LinkType.PARENT_CHILD,
    )
    row = TicketHistory.objects.get(ticket=source, history_type=HistoryType.MISC)
    assert row.extra["event"] == "Split" and row.extra["number"] == child.number
    zoom = client.get(reverse("agent:zoom", args=[source.pk])).content.decode()
    assert f"Ticket {child.number} split off from an article." in zoom


def test_bad_input_creates_nothing(client, support, source):
    client.force_login(support.rw)
    answer = client.post(split_url(source), {"title": "", "body": ""})
    assert answer.status_code == 400
    assert Ticket.objects.count() == 1 and not TicketLink.objects.exists()


def test_read_only_agents_and_foreign_articles_get_404(client, support, source):
    other = factories.ticket(support.queue, title="Split other")
    client.force_login(support.rw)
    assert client.get(split_url(source, other.articles.first())).status_code == 404
    client.force_login(support.ro)
    assert client.get(split_url(source)).status_code == 404


def test_the_zoom_offers_split_per_article(client, support, source):
    client.force_login(support.rw)
    zoom = client.get(reverse("agent:zoom", args=[source.pk])).content.decode()
    assert f'href="{split_url(source)}" data-article-action="split"' in zoom


def test_the_split_keeps_tags_in_the_articles_text_as_written(client, support, source):
    # The text is the customer's words: a tag-like text in it is not filled in.
    client.force_login(support.rw)
    written = "See <OTRS_TICKET_TicketNumber> in my mail."
    answer = client.post(
        split_url(source),
        {
            "customer": "split-customer@example.com",
            "queue": support.queue.pk,
            "title": "Tag part",
            "body": written,
            "state": State.objects.get(name="open").pk,
            "priority": factories.priority(3).pk,
            "type": source.type_id,
        },
    )
    assert answer.status_code == 302
    child = Ticket.objects.exclude(pk=source.pk).get()
    assert child.articles.get().body == written


def split_email_url(ticket, article=None):
    article = article or ticket.articles.first()
    return reverse("agent:split_email", args=[ticket.pk, article.pk])


def email_split_form(source, queue, **extra):
    return {
        "to": "split-customer@example.com",
        "queue": queue.pk,
        "title": "Scanner part",
        "body": "About the scanner: <OTRS_TICKET_TicketNumber> stays as written.",
        "state": State.objects.get(name="open").pk,
        "priority": factories.priority(3).pk,
        "type": source.type_id,
        **extra,
    }


def customer_mail(ticket, actor, from_address: str):
    """A mail from the customer on ``ticket``."""
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            subject="Scanner too",
            body="And the scanner is broken.",
            from_address=from_address,
            is_visible_for_customer=True,
        ),
        actor=actor,
    )


def test_the_email_split_is_addressed_to_whoever_wrote_the_mail(client, support, source):
    mail = customer_mail(source, support.rw, "Carla <carla@example.org>")
    client.force_login(support.rw)
    page = client.get(split_email_url(source, mail)).content.decode()
    assert "Split into a new email ticket" in page
    assert 'value="Carla &lt;carla@example.org&gt;"' in page
    assert 'value="Scanner too"' in page
    assert "And the scanner is broken.</textarea>" in page
    # The two kinds link to each other, so the choice works without JavaScript.
    assert f'href="{split_url(source, mail)}" data-split-kind="agent:split"' in page
    phone = client.get(split_url(source, mail)).content.decode()
    assert f'href="{split_email_url(source, mail)}" data-split-kind="agent:split_email"' in phone


def test_it_makes_an_email_child_ticket_and_queues_the_mail(client, support, source):
    client.force_login(support.rw)
    answer = client.post(split_email_url(source), email_split_form(source, support.queue))
    child = Ticket.objects.exclude(pk=source.pk).get()
    assert answer.status_code == 302 and answer.url == reverse("agent:zoom", args=[child.pk])
    first = child.articles.get()
    assert (first.channel, first.sender_type) == (Channel.EMAIL, SenderType.AGENT)
    assert first.to_address == "split-customer@example.com"
    assert first.subject == f"[Ticket#{child.number}] Scanner part"
    assert first.body == "About the scanner: <OTRS_TICKET_TicketNumber> stays as written."
    assert OutboundMessage.objects.filter(recipients=["split-customer@example.com"]).count() == 1
    assert TicketHistory.objects.filter(ticket=child, history_type=HistoryType.EMAIL_AGENT).exists()
    link = TicketLink.objects.get()
    assert (link.source_id, link.target_id, link.link_type) == (
        source.pk,
        child.pk,
        LinkType.PARENT_CHILD,
    )
    row = TicketHistory.objects.get(ticket=source, history_type=HistoryType.MISC)
    assert row.extra["number"] == child.number


def test_a_bad_email_split_creates_and_sends_nothing(client, support, source):
    client.force_login(support.rw)
    before = OutboundMessage.objects.count()
    answer = client.post(
        split_email_url(source), email_split_form(source, support.queue, to="not an address")
    )
    assert answer.status_code == 400
    assert Ticket.objects.count() == 1 and not TicketLink.objects.exists()
    assert OutboundMessage.objects.count() == before


def test_the_email_split_is_404_for_readers_and_foreign_articles(client, support, source):
    other = factories.ticket(support.queue, title="Split other")
    client.force_login(support.rw)
    assert client.get(split_email_url(source, other.articles.first())).status_code == 404
    client.force_login(support.ro)
    assert client.get(split_email_url(source)).status_code == 404
    answer = client.post(split_email_url(source), email_split_form(source, support.queue))
    assert answer.status_code == 404 and Ticket.objects.count() == 2


def test_the_zoom_splits_a_mail_as_email_and_a_note_as_phone(client, support, source):
    mail = customer_mail(source, support.rw, "carla@example.org")
    note = factories.note(source, actor=support.rw)
    client.force_login(support.rw)
    zoom = client.get(reverse("agent:zoom", args=[source.pk]) + "?articles=all").content.decode()
    # Plain links (no JavaScript): the mail's Split opens the email form, the others the phone form.
    assert f'href="{split_email_url(source, mail)}" data-article-action="split"' in zoom
    assert f'href="{split_url(source, mail)}" data-article-action="split"' not in zoom
    assert f'href="{split_url(source, note)}" data-article-action="split"' in zoom
    assert f'href="{split_url(source)}" data-article-action="split"' in zoom
    # And the link leads to the email split addressed to the mail's writer.
    page = client.get(split_email_url(source, mail)).content.decode()
    assert 'value="carla@example.org"' in page
