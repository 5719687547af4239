"""Auto responses (spec 3.8 and 4) and the loop protection behind them."""

from __future__ import annotations

import logging
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerUser
from otrs.events import Batch, Event
from otrs.mail import loop
from otrs.mail.models import LoopProtection, OutboundKind, OutboundMessage
from tests import factories
from tickets import actions
from tickets.autoresponses import handle, send_auto_response
from tickets.choices import AutoResponseType, Channel, HistoryType, SenderType
from tickets.events import TicketEvent
from tickets.models import (
    Article,
    AutoResponse,
    InboundSource,
    Queue,
    QueueAutoResponse,
    SystemAddress,
    TicketHistory,
)
from tickets.postmaster.intake import receive

pytestmark = pytest.mark.django_db

REPLY = AutoResponseType.AUTO_REPLY


@pytest.fixture(autouse=True)
def _no_broker(event_handlers):
    """Queued mail stays in the table: nobody asks the daemon to send it."""
    event_handlers.unsubscribe("otrs.mail.send_queued")


@pytest.fixture
def queue(support):
    queue = Queue.objects.get(pk=support.queue.pk)
    queue.system_address = SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support Team", queue=queue
    )
    queue.save()
    return queue


def respond(queue, response_type=REPLY, **kwargs) -> AutoResponse:
    kwargs.setdefault("subject", "RE: <OTRS_CUSTOMER_SUBJECT[20]>")
    kwargs.setdefault(
        "text", "Dear <OTRS_CUSTOMER_REALNAME>,\nwe got it:\n<OTRS_CUSTOMER_EMAIL[2]>"
    )
    response = AutoResponse.objects.create(
        name=f"{response_type} {queue.pk}", response_type=response_type, **kwargs
    )
    QueueAutoResponse.objects.create(queue=queue, auto_response=response)
    return response


def mail_ticket(queue, *, sender="Alice <alice@example.com>", reply_to="", visible=True, **kw):
    return actions.create_ticket(
        title="Printer broken",
        queue=queue,
        actor=factories.system(),
        article=actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            subject="Printer broken",
            body="Line one\nLine two\nLine three",
            from_address=sender,
            reply_to=reply_to,
            to_address="support@helpdesk.test",
            message_id="<m1@example.com>",
            references="<m0@example.com>",
            is_visible_for_customer=visible,
        ),
        **kw,
    )


def send(ticket, response_type=REPLY, *, loop_flag=False):
    article = ticket.articles.order_by("id").first()
    return send_auto_response(
        ticket=ticket, article=article, response_type=response_type, loop=loop_flag
    )


def history_types(ticket) -> list[str]:
    return list(
        TicketHistory.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("history_type", flat=True)
    )


# --- what is sent ------------------------------------------------------------------------------


def test_it_sends_the_queues_auto_reply_as_a_system_email_article(queue):
    respond(queue)
    ticket = mail_ticket(queue)

    sent = send(ticket)

    assert sent is not None
    assert (sent.channel, sent.sender_type, sent.is_visible_for_customer) == (
        Channel.EMAIL,
        SenderType.SYSTEM,
        True,
    )
    assert sent.from_address == "Support Team <support@helpdesk.test>"
    assert sent.to_address == "Alice <alice@example.com>"
    assert sent.subject == f"[Ticket#{ticket.number}] RE: Printer broken"
    assert sent.body == "Dear Alice,\nwe got it:\n> Line one\n> Line two"
    assert sent.in_reply_to == "<m1@example.com>"
    assert sent.references == "<m0@example.com> <m1@example.com>"
    assert history_types(ticket)[-1] == HistoryType.SEND_AUTO_REPLY

    queued = OutboundMessage.objects.get(ticket_delivery__article=sent)
    assert queued.kind == OutboundKind.AUTO_RESPONSE
    assert queued.recipients == ["alice@example.com"]
    headers = message_from_bytes(queued.content(), policy=default_policy)
    assert headers["X-Loop"] == "yes"
    assert headers["Precedence"] == "bulk"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["In-Reply-To"] == "<m1@example.com>"
    assert LoopProtection.objects.get().count == 1


@pytest.mark.parametrize(
    ("response_type", "history_type"),
    [
        (AutoResponseType.AUTO_REPLY, HistoryType.SEND_AUTO_REPLY),
        (AutoResponseType.AUTO_REPLY_NEW_TICKET, HistoryType.SEND_AUTO_REPLY),
        (AutoResponseType.AUTO_FOLLOW_UP, HistoryType.SEND_AUTO_FOLLOW_UP),
        (AutoResponseType.AUTO_REJECT, HistoryType.SEND_AUTO_REJECT),
    ],
)
def test_it_writes_the_history_type_of_the_response_type(queue, response_type, history_type):
    respond(queue, response_type)
    ticket = mail_ticket(queue)

    sent = send(ticket, response_type)

    assert TicketHistory.objects.get(article=sent).history_type == history_type


def test_it_answers_the_reply_to_address_rather_than_from(queue):
    respond(queue)
    ticket = mail_ticket(queue, reply_to="Desk <desk@example.com>, other@example.com")

    sent = send(ticket)

    assert sent.to_address == "Desk <desk@example.com>, other@example.com"


def test_it_sends_from_the_responses_own_system_address(queue):
    own = SystemAddress.objects.create(
        email="noreply@helpdesk.test", display_name="Robot", queue=queue
    )
    respond(queue, system_address=own)
    ticket = mail_ticket(queue)

    assert send(ticket).from_address == "Robot <noreply@helpdesk.test>"


def test_it_falls_back_to_the_queues_address_when_the_responses_is_invalid(queue):
    own = SystemAddress.objects.create(
        email="old@helpdesk.test", display_name="Old", queue=queue, is_valid=False
    )
    respond(queue, system_address=own)
    ticket = mail_ticket(queue)

    assert send(ticket).from_address == "Support Team <support@helpdesk.test>"


def test_it_sends_a_cc_to_the_known_customer_with_another_address(queue):
    user = factories.customer("carla")
    user.first_name, user.last_name = "Carla", "Customer"
    user.save()
    CustomerUser.objects.create(user=user, email="carla@acme.example")
    respond(queue)
    ticket = mail_ticket(queue, customer_user="carla")

    sent = send(ticket)

    assert sent.cc_address == "Carla Customer <carla@acme.example>"
    assert set(OutboundMessage.objects.get(ticket_delivery__article=sent).recipients) == {
        "alice@example.com",
        "carla@acme.example",
    }


def test_it_sends_no_cc_when_the_customer_wrote_or_the_mail_is_internal(queue):
    user = factories.customer("carla")
    CustomerUser.objects.create(user=user, email="Carla@Acme.example")
    respond(queue)
    from_customer = mail_ticket(queue, sender="carla@acme.example", customer_user="carla")
    internal = mail_ticket(queue, customer_user="carla", visible=False)

    assert send(from_customer).cc_address == ""
    assert send(internal).cc_address == ""


def test_it_records_article_auto_response(queue, outbox):
    respond(queue)
    sent = send(mail_ticket(queue))

    ((_name, ticket_id, data),) = outbox("ArticleAutoResponse")
    assert (ticket_id, data["article_id"], data["response_type"]) == (
        sent.ticket_id,
        sent.pk,
        REPLY,
    )


# --- suppression (spec 3.8) --------------------------------------------------------------------


def assert_nothing_sent(ticket):
    assert not Article.objects.filter(ticket=ticket, sender_type=SenderType.SYSTEM).exists()
    assert not OutboundMessage.objects.filter(ticket_delivery__ticket=ticket).exists()


def test_it_sends_nothing_without_a_linked_response(queue):
    other = factories.queue("Other", group_=queue.group)
    respond(other)  # linked to another queue
    respond(queue, AutoResponseType.AUTO_FOLLOW_UP)  # another type
    ticket = mail_ticket(queue)

    assert send(ticket) is None
    assert_nothing_sent(ticket)


def test_it_sends_nothing_for_an_invalid_response(queue):
    respond(queue).__class__.objects.update(is_valid=False)
    ticket = mail_ticket(queue)

    assert send(ticket) is None


@pytest.mark.parametrize("state", ["closed successful", "removed"])
def test_it_sends_no_auto_reply_for_a_closed_or_removed_ticket(queue, state):
    respond(queue)
    ticket = mail_ticket(queue, state=factories.state(state))

    assert send(ticket) is None
    assert_nothing_sent(ticket)


def test_it_still_sends_a_reject_for_a_closed_ticket(queue):
    respond(queue, AutoResponseType.AUTO_REJECT)
    ticket = mail_ticket(queue, state=factories.state("closed successful"))

    sent = send(ticket, AutoResponseType.AUTO_REJECT)

    assert sent is not None and sent.to_address == "Alice <alice@example.com>"
    assert history_types(ticket)[-1] == HistoryType.SEND_AUTO_REJECT


def test_it_sends_nothing_for_a_loop(queue):
    respond(queue)
    ticket = mail_ticket(queue)

    assert send(ticket, loop_flag=True) is None
    assert_nothing_sent(ticket)
    assert not LoopProtection.objects.exists()


@pytest.mark.parametrize(
    "sender",
    [
        "not an address",
        "MAILER-DAEMON@mx.example.com",
        "Mail Delivery <postmaster@example.com>",
        "abuse@example.org",
        "Us <support@helpdesk.test>",  # our own system address
    ],
)
def test_it_skips_addresses_that_never_get_automatic_mail(queue, sender):
    respond(queue)
    ticket = mail_ticket(queue, sender=sender)

    assert send(ticket) is None
    assert_nothing_sent(ticket)
    assert not LoopProtection.objects.exists()


def test_it_keeps_the_allowed_addresses_of_several(queue):
    respond(queue)
    ticket = mail_ticket(queue, reply_to="postmaster@example.com, Bob <bob@example.com>")

    assert send(ticket).to_address == "Bob <bob@example.com>"


def test_it_ignores_an_invalid_system_address(queue):
    SystemAddress.objects.filter(email="support@helpdesk.test").update(is_valid=False)
    SystemAddress.objects.create(email="old@helpdesk.test", display_name="Old", queue=queue)
    SystemAddress.objects.filter(email="old@helpdesk.test").update(is_valid=False)
    own = SystemAddress.objects.create(email="new@helpdesk.test", display_name="New", queue=queue)
    respond(queue, system_address=own)
    ticket = mail_ticket(queue, sender="old@helpdesk.test")

    assert send(ticket).to_address == "old@helpdesk.test"


def test_it_sends_nothing_without_a_sender_address(queue, caplog):
    Queue.objects.filter(pk=queue.pk).update(system_address=None)
    respond(queue)
    ticket = mail_ticket(queue)

    with caplog.at_level(logging.WARNING, logger="tickets.autoresponses"):
        assert send(ticket) is None
    assert "has a valid system address" in caplog.text
    assert_nothing_sent(ticket)


def test_it_stops_at_the_daily_limit_and_records_loop_protection(queue, settings):
    settings.POSTMASTER_MAX_AUTO_MAILS = 2
    respond(queue)
    tickets = [mail_ticket(queue) for _ in range(3)]

    results = [send(t) for t in tickets]

    assert [r is not None for r in results] == [True, True, False]
    assert_nothing_sent(tickets[2])
    entry = TicketHistory.objects.get(ticket=tickets[2], history_type=HistoryType.LOOP_PROTECTION)
    assert entry.new_value == "alice@example.com"
    assert LoopProtection.objects.get(address="alice@example.com").count == 2


def test_it_sends_nothing_when_the_transaction_rolls_back(
    queue, django_capture_on_commit_callbacks, outbox
):
    respond(queue)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send(mail_ticket(queue))
        assert OutboundMessage.objects.exists()
        raise RuntimeError("the intake failed later")

    assert not OutboundMessage.objects.exists()
    assert not LoopProtection.objects.exists()
    assert outbox() == []


def test_the_postmaster_sends_the_auto_reply_of_a_new_ticket(
    queue, django_capture_on_commit_callbacks
):
    respond(queue)
    raw = (
        b"From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\n"
        b"Subject: Printer broken\r\nMessage-ID: <pm1@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nIt does not print.\r\n"
    )

    # The intake only records that the reply is due; the event handler sends it after the
    # commit (here: the on-commit callbacks run the delivery inline).
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stored = receive(raw, source=InboundSource.PIPE)
    assert not Article.objects.filter(ticket=stored.ticket, sender_type=SenderType.SYSTEM)
    for callback in callbacks:
        callback()

    sent = Article.objects.get(ticket=stored.ticket, sender_type=SenderType.SYSTEM)
    assert sent.in_reply_to == "<pm1@example.com>"
    assert sent.to_address == "Alice <alice@example.com>"


def test_the_postmaster_sends_nothing_to_auto_generated_mail(
    queue, django_capture_on_commit_callbacks
):
    respond(queue)
    raw = (
        b"From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\n"
        b"Subject: Out of office\r\nMessage-ID: <pm2@example.com>\r\n"
        b"Auto-Submitted: auto-replied\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nI am away.\r\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        stored = receive(raw, source=InboundSource.PIPE)

    assert_nothing_sent(stored.ticket)


def test_a_redelivered_auto_response_event_sends_once(queue, outbox):

    respond(queue)
    raw = (
        b"From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\n"
        b"Subject: Twice\r\nMessage-ID: <pm3@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
    )
    stored = receive(raw, source=InboundSource.PIPE)  # callbacks not run: nothing sent yet
    [(name, ticket_id, payload)] = outbox(TicketEvent.ARTICLE_AUTO_RESPONSE_DUE)
    assert payload["article_id"] == stored.article.pk
    event = Event(name, "ticket", ticket_id, payload=payload, id=7)
    batch = Batch(id=1, key="k", handler="tickets.auto_responses", attempt=1, events=(event,))
    handle(batch)
    handle(batch)  # at least once: the same batch again
    assert Article.objects.filter(ticket=stored.ticket, sender_type=SenderType.SYSTEM).count() == 1


# --- loop protection ---------------------------------------------------------------------------


def test_it_counts_automatic_mails_per_address_and_day(settings):
    settings.POSTMASTER_MAX_AUTO_MAILS = 3
    assert loop.may_send_auto("A@Example.com")
    assert [loop.claim_auto("a@example.com") for _ in range(4)] == [True, True, True, False]
    assert not loop.may_send_auto("A@EXAMPLE.COM")
    assert loop.sent_today("a@example.com") == 3
    # Another address has its own allowance.
    assert loop.claim_auto("b@example.com")


def test_it_starts_again_the_next_day(settings):
    settings.POSTMASTER_MAX_AUTO_MAILS = 1
    yesterday = timezone.localdate() - timedelta(days=1)
    LoopProtection.objects.create(address="a@example.com", day=yesterday, count=1)

    assert loop.claim_auto("a@example.com")
    assert not loop.claim_auto("a@example.com")
    assert loop.delete_old_counters() == 1
    assert LoopProtection.objects.get().day == timezone.localdate()


def test_it_counts_without_a_limit_when_the_limit_is_zero(settings):
    settings.POSTMASTER_MAX_AUTO_MAILS = 0
    assert all(loop.claim_auto("a@example.com") for _ in range(50))
    assert loop.may_send_auto("a@example.com")
    assert loop.sent_today("a@example.com") == 50


def test_count_auto_counts_past_the_limit(settings):
    settings.POSTMASTER_MAX_AUTO_MAILS = 1
    assert [loop.count_auto("a@example.com") for _ in range(3)] == [1, 2, 3]
    assert not loop.may_send_auto("a@example.com")


def test_an_address_is_counted_in_one_statement(settings, django_assert_max_num_queries):
    # One upsert on PostgreSQL and SQLite, for the first mail of the day as for the later
    # ones and the refused; MariaDB: a conditional update, plus an INSERT IGNORE (and the
    # update again) only for the day's first mail and a refused one.
    settings.POSTMASTER_MAX_AUTO_MAILS = 2
    single = connection.vendor != "mysql"
    with django_assert_max_num_queries(1 if single else 2):
        assert loop.claim_auto("first@example.com")
    with django_assert_max_num_queries(1):
        assert loop.claim_auto("first@example.com")
    with django_assert_max_num_queries(1 if single else 3):
        assert not loop.claim_auto("first@example.com")
    with django_assert_max_num_queries(1):
        assert loop.count_auto("first@example.com") == 3
    assert LoopProtection.objects.get(address="first@example.com").count == 3


def test_it_recognises_addresses_that_never_get_automatic_mail(queue):
    assert loop.is_auto_suppressed_address("MAILER-DAEMON@mx.example.com")
    assert loop.is_auto_suppressed_address("postmaster@example.com")
    assert loop.is_auto_suppressed_address("Abuse@Example.org")
    assert loop.is_auto_suppressed_address("SUPPORT@helpdesk.test")
    assert not loop.is_auto_suppressed_address("alice@example.com")
    assert not loop.is_auto_suppressed_address("postmaster-fan@example.com")


def _claim(address: str, times: int) -> int:
    return sum(loop.claim_auto(address) for _ in range(times))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_claims_never_pass_the_limit(settings, run_in_processes):
    settings.POSTMASTER_MAX_AUTO_MAILS = 10
    granted = run_in_processes(_claim, [("race@example.com", 6)] * 4)
    assert sum(granted) == 10
    assert LoopProtection.objects.get(address="race@example.com").count == 10


# --- the admin ---------------------------------------------------------------------------------


def _queue_form(queue, **extra) -> dict:
    data = {
        "name": queue.name,
        "parent": "",
        "group": queue.group_id,
        "comment": "",
        "is_valid": "on",
        "system_address": queue.system_address_id,
        "salutation": "",
        "signature": "",
        "follow_up": "possible",
        "unlock_timeout": 0,
        "calendar": "",
        "first_response_time": 0,
        "first_response_notify": 0,
        "update_time": 0,
        "update_notify": 0,
        "solution_time": 0,
        "solution_notify": 0,
        "auto_responses-TOTAL_FORMS": "0",
        "auto_responses-INITIAL_FORMS": "0",
    }
    return data | extra


def test_the_admin_links_one_auto_response_per_type_to_a_queue(client, queue):
    root = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(root)
    first, second = (
        AutoResponse.objects.create(name=name, subject="s", response_type=REPLY)
        for name in ("First", "Second")
    )
    url = reverse("admin:tickets_queue_change", args=[queue.pk])
    assert client.get(url).status_code == 200

    rows = {
        "auto_responses-TOTAL_FORMS": "2",
        "auto_responses-0-auto_response": first.pk,
        "auto_responses-1-auto_response": second.pk,
    }
    refused = client.post(url, _queue_form(queue, **rows))
    assert refused.status_code == 200
    assert "only one auto response of each type" in refused.content.decode()
    assert not QueueAutoResponse.objects.exists()

    rows = {"auto_responses-TOTAL_FORMS": "1", "auto_responses-0-auto_response": first.pk}
    assert client.post(url, _queue_form(queue, **rows)).status_code == 302
    link = QueueAutoResponse.objects.get()
    assert (link.queue_id, link.response_type, link.auto_response_id) == (queue.pk, REPLY, first.pk)
