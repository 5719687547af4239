"""The customer portal's ticket pages: list, ticket, new ticket, answers, closing, downloads,
and the customer rules of the actions behind them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from otrs.errors import DomainError
from otrs.mail.models import OutboundKind
from tests import factories
from tests.customer_portal import ticket_data as data
from tickets import access, actions
from tickets.actions.email import send_email
from tickets.choices import (
    AutoResponseType,
    Channel,
    FollowUpOption,
    HistoryType,
    LockState,
    SenderType,
)
from tickets.models import (
    AutoResponse,
    QueueAutoResponse,
    Service,
    State,
    SystemAddress,
    Ticket,
    TicketHistory,
    TicketType,
)

pytestmark = pytest.mark.django_db

LIST = reverse("customer:tickets")
CREATE = reverse("customer:ticket_create")
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def detail(ticket) -> str:
    return reverse("customer:ticket", args=[ticket.pk])


def reply_url(ticket) -> str:
    return reverse("customer:ticket_reply", args=[ticket.pk])


def close_url(ticket) -> str:
    return reverse("customer:ticket_close", args=[ticket.pk])


@pytest.fixture(autouse=True)
def _no_broker(event_handlers):
    """Queued mail stays in the table: nobody asks the daemon to send it."""
    event_handlers.unsubscribe("otrs.mail.send_queued")


@pytest.fixture
def acme(db):
    return data.company("ACME", "Acme Corporation")


@pytest.fixture
def wile(acme):
    """A customer of Acme."""
    return data.customer("wile", company_=acme, email="wile@acme.test")


@pytest.fixture
def queue(db):
    return data.portal_queue("Portal")


def state_name(ticket) -> str:
    return Ticket.objects.select_related("state").get(pk=ticket.pk).state.name


def close(ticket, name="closed successful"):
    actions.set_state(ticket, State.objects.get(name=name), actor=factories.system())


def history(ticket) -> list[tuple[str, str]]:
    rows = TicketHistory.objects.filter(ticket=ticket).select_related("actor").order_by("id")
    return [(row.history_type, row.actor.username) for row in rows]


def auto_response(queue, response_type):
    queue.system_address = SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support Team", queue=queue
    )
    queue.save()
    response = AutoResponse.objects.create(
        name=f"{response_type}",
        response_type=response_type,
        subject="We got it",
        text="Dear <OTRS_CUSTOMER_REALNAME>, thanks.",
    )
    QueueAutoResponse.objects.create(queue=queue, auto_response=response)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the root and the list ---------------------------------------------------------------------


def test_it_leads_from_the_portal_root_to_the_ticket_list(wile):
    response = data.client_for(wile).get(reverse("customer:home"))

    assert response.status_code == 302
    assert response["Location"] == LIST


def test_it_lists_the_customers_own_open_tickets_by_default(wile, acme, queue):
    own = data.ticket(queue, customer_user="wile", customer_id="ACME", title="Own open")
    done = data.ticket(queue, customer_user="wile", customer_id="ACME", title="Own closed")
    close(done)
    colleague = data.ticket(queue, customer_user="roadrunner", customer_id="ACME", title="Peer")

    response = data.client_for(wile).get(LIST)

    assert response.status_code == 200
    listed = [row.ticket.pk for row in response.context["rows"]]
    assert listed == [own.pk]
    assert "Acme Corporation" in response.text
    assert colleague.title not in response.text
    assert queue.name not in response.text


def test_it_lists_the_companies_tickets_with_the_company_filter(acme, queue):
    other = data.company("ROAD", "Road Inc")
    wile = data.customer("wile", company_=acme, others=[other])
    peer = data.ticket(queue, customer_user="roadrunner", customer_id="ACME")
    further = data.ticket(queue, customer_user="x", customer_id="ROAD")
    foreign = data.ticket(queue, customer_user="y", customer_id="ELSEWHERE")

    response = data.client_for(wile).get(LIST, {"scope": "company"})

    listed = {row.ticket.pk for row in response.context["rows"]}
    assert listed == {peer.pk, further.pk}
    assert foreign.title not in response.text
    assert "Road Inc" in response.text


def test_it_offers_no_company_filter_to_a_customer_without_companies(queue):
    loner = data.customer("loner")
    data.ticket(queue, customer_user="loner")

    response = data.client_for(loner).get(LIST)

    assert 'name="scope"' not in response.text


@pytest.mark.parametrize(
    ("state", "expected"),
    [("open", {"open"}), ("closed", {"closed"}), ("all", {"open", "closed"})],
)
def test_it_filters_by_open_and_closed(wile, queue, state, expected):
    made = {
        "open": data.ticket(queue, customer_user="wile"),
        "closed": data.ticket(queue, customer_user="wile"),
    }
    close(made["closed"])

    response = data.client_for(wile).get(LIST, {"state": state})

    listed = {row.ticket.pk for row in response.context["rows"]}
    assert listed == {made[name].pk for name in expected}


def test_it_searches_titles_and_numbers(wile, queue):
    printer = data.ticket(queue, customer_user="wile", title="Printer on fire")
    mouse = data.ticket(queue, customer_user="wile", title="Mouse is slow")
    client = data.client_for(wile)

    by_title = client.get(LIST, {"q": "printer"}).context["rows"]
    by_number = client.get(LIST, {"q": mouse.number}).context["rows"]

    assert [row.ticket.pk for row in by_title] == [printer.pk]
    assert [row.ticket.pk for row in by_number] == [mouse.pk]


def test_it_sorts_and_pages_by_the_customers_rows_per_page(wile, queue):
    wile.rows_per_page = 2
    wile.save()
    titles = ["Delta", "Alpha", "Echo", "Charlie", "Bravo"]
    for title in titles:
        data.ticket(queue, customer_user="wile", title=title)
    client = data.client_for(wile)

    pages = [client.get(LIST, {"sort": "title", "page": n}) for n in (1, 2, 3)]

    seen = [[row.ticket.title for row in page.context["rows"]] for page in pages]
    assert seen == [["Alpha", "Bravo"], ["Charlie", "Delta"], ["Echo"]]
    assert "sort=title" in pages[0].text and "page=2" in pages[0].text


@pytest.mark.parametrize(
    "query",
    [
        {"state": "nonsense", "sort": "password", "page": "x"},
        {"page": "999999999999999999999"},
        {"scope": "everyone", "q": "\x00"},
    ],
)
def test_it_shows_the_default_list_for_nonsense_parameters(wile, queue, query):
    mine = data.ticket(queue, customer_user="wile")

    response = data.client_for(wile).get(LIST, query)

    assert response.status_code == 200
    assert mine.number in response.text or query.get("q")


def test_it_leaves_merged_tickets_out_of_the_list(wile, queue):
    source = data.ticket(queue, customer_user="wile", title="Merged away")
    target = data.ticket(queue, customer_user="wile", title="Kept")
    actions.merge_tickets(source, target, actor=factories.system())

    response = data.client_for(wile).get(LIST, {"state": "all"})

    assert [row.ticket.pk for row in response.context["rows"]] == [target.pk]


def test_it_sends_visitors_to_the_sign_in(queue):
    response = Client().get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customer:login"))


def test_it_refuses_agents(queue, support):
    response = data.client_for(support.rw).get(LIST)

    assert response.status_code == 403


def test_it_lists_with_a_fixed_number_of_queries(wile, acme, queue, django_assert_num_queries):
    client = data.client_for(wile)
    data.ticket(queue, customer_user="wile", customer_id="ACME")
    # Warm the caches (the maintenance windows the banner shows are read once, then cached).
    client.get(LIST, {"scope": "company"})
    with CaptureQueriesContext(connection) as few:
        client.get(LIST, {"scope": "company"})
    for _index in range(4):
        data.ticket(queue, customer_user="roadrunner", customer_id="ACME")

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST, {"scope": "company"})
    assert len(response.context["rows"]) == 5


# --- one ticket --------------------------------------------------------------------------------


def test_it_shows_a_ticket_with_a_fixed_number_of_queries(wile, queue, django_assert_num_queries):
    ticket = data.ticket(queue, customer_user="wile")
    data.article(ticket, visible=True, files=[("a.txt", b"a")])
    client = data.client_for(wile)
    # Warm the caches (the custom field definitions are read once, then cached).
    client.get(detail(ticket))
    with CaptureQueriesContext(connection) as few:
        client.get(detail(ticket))
    for _index in range(4):
        data.article(ticket, visible=True, files=[("b.txt", b"b"), ("c.txt", b"c")])

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(detail(ticket))
    assert len(response.context["article_rows"]) == 6


@pytest.fixture
def conversation(wile, queue):
    """A ticket of wile's with a visible answer (with a file), an internal note (with a
    file), an HTML mail from the customer and an agent mail."""
    ticket = data.ticket(queue, customer_user="wile", customer_id="ACME", title="Broken anvil")
    owner = factories.agent("secret_agent", email="secret.agent@helpdesk.test")
    factories.grant(owner, queue.group, factories.RW)
    actions.set_owner(ticket, owner, actor=factories.system())
    answer = data.article(ticket, visible=True, body="We are on it.", files=[("fix.txt", b"fix")])
    note = data.article(
        ticket, visible=False, body="INTERNAL: customer is difficult", files=[("int.txt", b"x")]
    )
    mail = actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            from_address="Wile Coyote <wile@acme.test>",
            subject="More details",
            body="plain version",
            body_html=f"<p>Hello</p>{XSS}",
        ),
        actor=factories.system(),
    )
    return type(
        "Conversation",
        (),
        {"ticket": ticket, "answer": answer, "note": note, "mail": mail, "owner": owner},
    )


def test_it_shows_the_ticket_with_only_the_customer_visible_articles(wile, conversation):
    response = data.client_for(wile).get(detail(conversation.ticket))

    assert response.status_code == 200
    text = response.text
    shown = [row.article.pk for row in response.context["article_rows"]]
    assert conversation.note.pk not in shown
    assert {conversation.answer.pk, conversation.mail.pk} <= set(shown)
    assert "INTERNAL: customer is difficult" not in text
    assert "int.txt" not in text
    assert "fix.txt" in text
    assert conversation.ticket.number in text and "Acme Corporation" in text
    # Nothing about the help desk's inside: owner, queue, history.
    for secret in ("secret_agent", "secret.agent@helpdesk.test", "Portal", "NewTicket"):
        assert secret not in text


def test_it_labels_senders_and_shows_the_from_line_of_mails(wile, conversation):
    response = data.client_for(wile).get(detail(conversation.ticket))

    rows = {row.article.pk: row for row in response.context["article_rows"]}
    assert rows[conversation.answer.pk].sender == "Support"
    assert rows[conversation.answer.pk].from_line == ""
    assert rows[conversation.mail.pk].sender == "You"
    assert rows[conversation.mail.pk].from_line == "Wile Coyote <wile@acme.test>"


def test_it_shows_html_mail_only_in_a_sandboxed_frame(wile, conversation):
    text = data.client_for(wile).get(detail(conversation.ticket)).text

    assert "<script>" not in text
    assert 'sandbox=""' in text
    assert "default-src &#x27;none&#x27;" in text


def test_it_leads_from_a_merged_ticket_to_its_target(wile, queue):
    source = data.ticket(queue, customer_user="wile")
    target = data.ticket(queue, customer_user="wile")
    actions.merge_tickets(source, target, actor=factories.system())

    response = data.client_for(wile).get(detail(source))

    assert response.status_code == 302
    assert response["Location"] == detail(target)


def test_it_hides_a_merged_ticket_whose_target_is_someone_elses(wile, queue):
    source = data.ticket(queue, customer_user="wile")
    target = data.ticket(queue, customer_user="someone-else", title="Their secret")
    actions.merge_tickets(source, target, actor=factories.system())

    response = data.client_for(wile).get(detail(source))

    assert response.status_code == 404
    assert target.number not in response.text


# --- attachments -------------------------------------------------------------------------------


def test_it_downloads_an_attachment_of_a_visible_article_safely(wile, conversation):
    item = data.attachment_of(conversation.answer)

    response = data.client_for(wile).get(reverse("customer:attachment", args=[item.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"fix"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Type"] == "text/plain"


def test_it_serves_html_attachments_as_opaque_bytes(wile, queue):
    ticket = data.ticket(queue, customer_user="wile")
    article = actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.PHONE,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            body="see file",
            attachments=[
                actions.AttachmentInput("page.html", XSS.encode(), content_type="text/html")
            ],
        ),
        actor=factories.system(),
    )

    response = data.client_for(wile).get(
        reverse("customer:attachment", args=[data.attachment_of(article).pk])
    )

    assert response["Content-Type"] == "application/octet-stream"


def test_the_notification_mails_about_answers_are_not_repeated_on_the_page(wile, conversation):
    send_email(
        conversation.ticket,
        actions.ArticleInput(
            to_address="wile@acme.test",
            subject="New answer to your ticket",
            body="NOTIFICATION: there is a new answer",
        ),
        actor=factories.system(),
        kind=OutboundKind.CUSTOMER_NOTIFICATION,
    )

    page = data.client_for(wile).get(detail(conversation.ticket)).content.decode()

    assert "We are on it." in page
    assert "NOTIFICATION: there is a new answer" not in page


def test_it_refuses_an_attachment_of_an_internal_note(wile, conversation):
    item = data.attachment_of(conversation.note)

    response = data.client_for(wile).get(reverse("customer:attachment", args=[item.pk]))

    assert response.status_code == 404


# --- a new ticket ------------------------------------------------------------------------------


def form(**overrides) -> dict:
    values = {"title": "Anvil fell on me", "body": "Ouch.\nPlease help."}
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def test_it_opens_a_ticket_for_the_customer_in_the_only_queue(wile, queue):
    client = data.client_for(wile)
    page = client.get(CREATE)
    assert 'name="queue"' not in page.text

    response = client.post(CREATE, form())

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(ticket)
    assert (ticket.queue, ticket.customer_user, ticket.customer_id) == (queue, "wile", "ACME")
    assert ticket.title == "Anvil fell on me"
    assert ticket.created_by == wile
    article = ticket.articles.get()
    assert (article.channel, article.sender_type, article.is_visible_for_customer) == (
        Channel.WEB,
        SenderType.CUSTOMER,
        True,
    )
    assert article.body == "Ouch.\nPlease help."
    assert "wile@acme.test" in article.from_address
    assert (HistoryType.WEB_REQUEST_CUSTOMER, "wile") in history(ticket)


def test_it_gives_a_customer_without_company_their_login_as_customer_id(queue):
    loner = data.customer("loner")

    data.client_for(loner).post(CREATE, form())

    ticket = Ticket.objects.get()
    assert (ticket.customer_user, ticket.customer_id) == ("loner", "loner")
    assert access.can(loner, ticket)


def test_it_sends_the_auto_reply_to_a_web_ticket(wile, queue):
    auto_response(queue, AutoResponseType.AUTO_REPLY)

    data.client_for(wile).post(CREATE, form())

    ticket = Ticket.objects.get()
    reply = ticket.articles.get(sender_type=SenderType.SYSTEM)
    assert reply.to_address.endswith("<wile@acme.test>")
    assert HistoryType.SEND_AUTO_REPLY in [kind for kind, _actor in history(ticket)]


def test_it_offers_only_the_queues_types_and_services_for_customers(wile, queue):
    second = data.portal_queue("Billing")
    hidden = data.portal_queue("Internal stuff", selectable=False)
    offered_type = TicketType.objects.create(name="Question", customer_selectable=True)
    TicketType.objects.create(name="Change", customer_selectable=False)
    offered_service = Service.objects.create(name="Email", customer_selectable=True)
    Service.objects.create(name="Backbone", customer_selectable=False)

    page = data.client_for(wile).get(CREATE)

    fields = page.context["form"].fields
    assert list(fields["queue"].queryset) == [second, queue]
    assert hidden.name not in page.text
    assert list(fields["ticket_type"].queryset) == [offered_type]
    assert list(fields["service"].queryset) == [offered_service]
    assert "Change" not in page.text and "Backbone" not in page.text


def test_it_leaves_out_type_and_service_when_customers_may_choose_none(wile, queue):
    page = data.client_for(wile).get(CREATE)

    assert set(page.context["form"].fields) == {"title", "body", "attachments"}


def test_it_creates_with_the_chosen_queue_type_and_service(wile, queue):
    second = data.portal_queue("Billing")
    question = TicketType.objects.create(name="Question", customer_selectable=True)
    mail = Service.objects.create(name="Email", customer_selectable=True)

    data.client_for(wile).post(
        CREATE, form(queue=second.pk, ticket_type=question.pk, service=mail.pk)
    )

    ticket = Ticket.objects.get()
    assert (ticket.queue, ticket.type, ticket.service) == (second, question, mail)


@pytest.mark.parametrize("what", ["queue", "ticket_type", "service"])
def test_it_refuses_a_choice_not_offered_and_stores_nothing(wile, queue, what):
    data.portal_queue("Billing")  # two queues: the queue field is offered
    TicketType.objects.create(name="Question", customer_selectable=True)
    Service.objects.create(name="Email", customer_selectable=True)
    refused = {
        "queue": data.portal_queue("Hidden", selectable=False).pk,
        "ticket_type": TicketType.objects.create(name="Change").pk,
        "service": Service.objects.create(name="Backbone").pk,
    }
    before = factories.snapshot()
    values = form(queue=queue.pk)
    values[what] = refused[what]

    response = data.client_for(wile).post(CREATE, values)

    assert response.status_code == 400
    assert response.context["form"].errors[what]
    assert factories.snapshot() == before
    assert "Anvil fell on me" in response.text  # the input is kept


def test_it_refuses_a_ticket_when_no_queue_is_offered(wile):
    data.portal_queue("Closed shop", selectable=False)
    before = factories.snapshot()
    client = data.client_for(wile)

    page = client.get(CREATE)
    response = client.post(CREATE, form())

    assert "cannot be opened here" in page.text
    assert response.status_code == 400
    assert factories.snapshot() == before


def test_it_requires_subject_and_text_keeping_the_input(wile, queue):
    response = data.client_for(wile).post(CREATE, form(title="  ", body="Kept text"))

    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert "Kept text" in response.text
    assert not Ticket.objects.exists()


def test_it_stores_attachments_of_a_new_ticket(wile, queue):
    upload = SimpleUploadedFile("photo.png", b"\x89PNG...", content_type="image/png")

    data.client_for(wile).post(CREATE, {**form(), "attachments": [upload]})

    stored = Ticket.objects.get().articles.get().attachments.get()
    assert (stored.filename, stored.read()) == ("photo.png", b"\x89PNG...")


def test_it_refuses_attachments_over_the_limit(wile, queue, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10
    upload = SimpleUploadedFile("big.bin", b"x" * 11)

    response = data.client_for(wile).post(CREATE, {**form(), "attachments": [upload]})

    assert response.status_code == 400
    assert "too large" in str(response.context["form"].errors["attachments"])
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("queue", "99999999999999999999999"),
        ("queue", "abc"),
        ("ticket_type", "-1"),
        ("service", "99999999999999999999999"),
    ],
)
def test_it_answers_garbage_choices_with_a_form_error(wile, queue, field, value):
    data.portal_queue("Billing")
    TicketType.objects.create(name="Question", customer_selectable=True)
    Service.objects.create(name="Email", customer_selectable=True)

    values = {**form(queue=queue.pk), field: value}

    response = data.client_for(wile).post(CREATE, values)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Ticket.objects.exists()


def test_it_needs_the_csrf_token_on_every_change(wile, queue):
    ticket = data.ticket(queue, customer_user="wile")
    client = Client(enforce_csrf_checks=True)
    client.force_login(wile)
    before = factories.snapshot()

    for url in (CREATE, reply_url(ticket), close_url(ticket)):
        assert client.post(url, form()).status_code == 403
    assert factories.snapshot() == before


# --- answers -----------------------------------------------------------------------------------


@pytest.fixture
def own(wile, queue):
    return data.ticket(queue, customer_user="wile", customer_id="ACME", title="Anvil trouble")


def test_it_adds_the_customers_answer(wile, own):
    response = data.client_for(wile).post(reply_url(own), {"body": "Still broken."})

    article = own.articles.order_by("id").last()
    assert response.status_code == 302
    assert response["Location"] == f"{detail(own)}#article-{article.pk}"
    assert (article.channel, article.sender_type, article.is_visible_for_customer) == (
        Channel.WEB,
        SenderType.CUSTOMER,
        True,
    )
    assert (article.body, article.created_by) == ("Still broken.", wile)
    assert (HistoryType.FOLLOW_UP, "wile") in history(own)


def test_it_keeps_a_new_ticket_new_and_opens_a_pending_one(wile, own, queue):
    pending = data.ticket(queue, customer_user="wile")
    actions.set_pending(
        pending,
        State.objects.get(name="pending reminder"),
        timezone.now() + timedelta(days=3),
        actor=factories.system(),
    )
    client = data.client_for(wile)

    client.post(reply_url(own), {"body": "one"})
    client.post(reply_url(pending), {"body": "two"})

    assert state_name(own) == "new"
    assert state_name(pending) == "open"


def test_it_reopens_a_closed_ticket_where_the_queue_takes_follow_ups(wile, own, queue):
    auto_response(queue, AutoResponseType.AUTO_FOLLOW_UP)
    close(own)
    page = data.client_for(wile).get(detail(own))
    assert f'action="{reply_url(own)}"' in page.text

    data.client_for(wile).post(reply_url(own), {"body": "It broke again."})

    assert state_name(own) == "open"
    kinds = history(own)
    assert (HistoryType.STATE_UPDATE, "wile") in kinds
    assert HistoryType.SEND_AUTO_FOLLOW_UP in [kind for kind, _actor in kinds]


def test_it_locks_a_reopened_ticket_to_its_owner_when_the_queue_says_so(wile, own, queue):
    queue.follow_up_lock = True
    queue.save()
    owner = factories.agent()
    factories.grant(owner, queue.group, factories.RW)
    actions.set_owner(own, owner, actor=factories.system())
    close(own)

    data.client_for(wile).post(reply_url(own), {"body": "Again."})

    own.refresh_from_db()
    assert (own.lock, own.owner) == (LockState.LOCK, owner)


@pytest.mark.parametrize("option", [FollowUpOption.REJECT, FollowUpOption.NEW_TICKET])
def test_it_refuses_answers_to_closed_tickets_in_reject_and_new_ticket_queues(
    wile, own, queue, option
):
    queue.follow_up = option
    queue.save()
    close(own)
    client = data.client_for(wile)
    page = client.get(detail(own))
    before = factories.snapshot()

    response = client.post(reply_url(own), {"body": "Hello?"})

    assert f'action="{reply_url(own)}"' not in page.text
    assert "please open a new ticket" in page.text.lower()
    assert response.status_code == 400
    assert "takes no further messages" in response.text
    assert factories.snapshot() == before


def test_it_answers_open_tickets_in_reject_queues(wile, own, queue):
    queue.follow_up = FollowUpOption.REJECT
    queue.save()

    response = data.client_for(wile).post(reply_url(own), {"body": "Fine."})

    assert response.status_code == 302


def test_it_requires_text_for_an_answer(wile, own):
    before = factories.snapshot()

    response = data.client_for(wile).post(reply_url(own), {"body": ""})

    assert response.status_code == 400
    assert response.context["reply_form"].errors["body"]
    assert factories.snapshot() == before


def test_it_refuses_get_on_the_answer_and_close_urls(wile, own):
    client = data.client_for(wile)

    assert client.get(reply_url(own)).status_code == 405
    assert client.get(close_url(own)).status_code == 405


# --- closing -----------------------------------------------------------------------------------


def test_it_lets_the_customer_close_their_ticket(wile, own):
    client = data.client_for(wile)
    assert f'action="{close_url(own)}"' in client.get(detail(own)).text

    response = client.post(close_url(own))

    assert response.status_code == 302
    assert state_name(own) == "closed successful"
    assert (HistoryType.STATE_UPDATE, "wile") in history(own)


def test_it_refuses_closing_when_the_setting_is_off(wile, own, settings):
    settings.CUSTOMER_CAN_CLOSE = False
    client = data.client_for(wile)
    page = client.get(detail(own))

    response = client.post(close_url(own))

    assert f'action="{close_url(own)}"' not in page.text
    assert state_name(own) == "new"
    assert any("cannot change the state" in text for text in messages_of(response))


def test_it_offers_no_close_button_on_a_closed_ticket(wile, own):
    close(own)

    page = data.client_for(wile).get(detail(own))

    assert f'action="{close_url(own)}"' not in page.text


# --- German ------------------------------------------------------------------------------------


def test_it_speaks_the_customers_language(acme, queue):
    german = data.customer("fritz", company_=acme, language="de")
    ticket = data.ticket(queue, customer_user="fritz")
    data.article(ticket, visible=True, files=[("a.txt", b"a")])

    response = data.client_for(german).get(detail(ticket))

    assert response.status_code == 200
    for word in ("Erstellt", "Status", "Neu", "Anhänge", "Antworten", "Senden"):
        assert word in response.text, word


# --- the customer rules of the actions -------------------------------------------------------


def web_message(**overrides) -> actions.ArticleInput:
    values = {
        "channel": Channel.WEB,
        "sender_type": SenderType.CUSTOMER,
        "is_visible_for_customer": True,
        "body": "hi",
    }
    values.update(overrides)
    return actions.ArticleInput(**values)


@pytest.mark.parametrize(
    "article",
    [
        {"channel": Channel.INTERNAL, "is_visible_for_customer": False},
        {"sender_type": SenderType.AGENT},
        {"is_visible_for_customer": False},
    ],
)
def test_it_lets_customers_add_only_their_own_visible_messages(wile, own, article):
    with pytest.raises(DomainError):
        actions.add_article(own, web_message(**article), actor=wile)


def test_it_refuses_customers_on_tickets_of_others(wile, queue):
    theirs = data.ticket(queue, customer_user="someone", customer_id="ELSEWHERE")

    with pytest.raises(DomainError):
        actions.add_article(theirs, web_message(), actor=wile)
    with pytest.raises(DomainError):
        actions.close_by_customer(theirs, actor=wile)


def test_it_lets_customers_only_close(wile, own):
    with pytest.raises(DomainError):
        actions.set_state(own, State.objects.get(name="open"), actor=wile)
    with pytest.raises(DomainError):
        actions.set_priority(own, factories.priority(5), actor=wile)


@pytest.mark.parametrize(
    "change",
    [
        {"customer_user": "someone-else"},
        {"customer_id": "ELSEWHERE"},
        {"owner": "agent"},
        {"lock": LockState.LOCK},
    ],
)
def test_it_lets_customers_open_tickets_only_for_themselves(wile, queue, change):
    kwargs = {"customer_user": "wile", "customer_id": "ACME"}
    if change.get("owner"):
        change = {"owner": factories.agent()}
    kwargs.update(change)

    with pytest.raises(DomainError):
        actions.create_ticket(title="x", queue=queue, actor=wile, article=web_message(), **kwargs)
    assert not Ticket.objects.exists()


def test_it_refuses_invalid_customer_users(wile, own):
    profile = wile.customer_profile
    profile.is_valid = False
    profile.save()

    assert not access.can(factories.refetch(wile), own)
    with pytest.raises(DomainError):
        actions.add_web_follow_up(own, web_message(), actor=factories.refetch(wile))
