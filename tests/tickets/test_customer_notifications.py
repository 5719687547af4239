"""Customer notifications (the built-in records of migration tickets 0030, recipient "the
ticket's customer"): an answer that does not reach the customer by mail, a closed or reopened
ticket; who gets one, what it says, and every case that sends nothing."""

from __future__ import annotations

import logging
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.db import transaction
from django.utils import timezone

from customers.models import CustomerCompany, CustomerUser
from otrs.events.models import DeliveryStatus, EventDelivery
from otrs.events.types import Event
from otrs.mail.models import LoopProtection, OutboundKind, OutboundMessage
from tests import factories
from tickets import actions, events, notification_changes
from tickets import notifications as sender
from tickets.choices import Channel, HistoryType, SenderType
from tickets.events import TicketEvent
from tickets.models import Article, InboundSource, SystemAddress, Ticket, TicketFlag, TicketHistory
from tickets.postmaster.intake import receive

pytestmark = pytest.mark.django_db

SECRET = "Internal: the customer's contract ran out last month."


@pytest.fixture(autouse=True)
def _no_sending(request, event_handlers):
    """Queued mail stays in the table (nobody asks the daemon to send it), except in the
    test that delivers to a real SMTP server."""
    if "smtp_server" not in request.fixturenames:
        event_handlers.unsubscribe("otrs.mail.send_queued")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block in a transaction and its after-commit work (events, and what those
    commit in turn) at the end."""

    class Committed:
        def __enter__(self):
            self._capture = django_capture_on_commit_callbacks(execute=True)
            self._capture.__enter__()
            self._atomic = transaction.atomic()
            self._atomic.__enter__()

        def __exit__(self, *exc):
            self._atomic.__exit__(*exc)
            return self._capture.__exit__(*exc)

    return Committed()


@pytest.fixture
def desk(support, settings):
    """The Support queue sends from its system address; rw_agent answers (and has a name)."""
    settings.SITE_URL = "https://desk.example.org"
    address = SystemAddress.objects.create(
        email="support@desk.example.org", display_name="Example Support", queue=support.queue
    )
    support.queue.system_address = address
    support.queue.save()
    support.rw.first_name, support.rw.last_name = "Alice", "Agent"
    support.rw.save()
    return support


def customer_user(login="carla", email="carla@acme.example", *, language="", **fields):
    user = factories.customer(login)
    user.first_name, user.last_name, user.language = "Carla", "Customer", language
    user.save()
    company, _created = CustomerCompany.objects.get_or_create(customer_id="ACME", name="Acme")
    return CustomerUser.objects.create(user=user, email=email, company=company, **fields)


@pytest.fixture
def carla(db):
    return customer_user()


@pytest.fixture
def ticket(desk, carla):
    """Carla's ticket, opened by her phone call; nothing queued yet."""
    return factories.ticket(
        desk.queue, title="Printer on fire", customer_user="carla", customer_id="ACME"
    )


def notifications() -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(kind=OutboundKind.CUSTOMER_NOTIFICATION).order_by("pk")
    )


def parsed(message: OutboundMessage):
    return message_from_bytes(message.content(), policy=default_policy)


def body(message: OutboundMessage) -> str:
    return parsed(message).get_content().replace("\r\n", "\n")


def answer(ticket, actor, text="Please switch it off and on again.", **fields):
    """A visible answer that is no mail (a note the customer may see, by default)."""
    fields.setdefault("channel", Channel.INTERNAL)
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            subject="Your printer",
            body=text,
            **fields,
        ),
        actor=actor,
    )


def portal_follow_up(ticket, customer, text="Any news?"):
    """What the customer writes on the ticket in the portal."""
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.WEB,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            body=text,
        ),
        actor=customer,
    )


def internal_note(ticket, actor, text=SECRET):
    return actions.add_article(
        ticket, actions.ArticleInput(subject="Contract", body=text), actor=actor
    )


def close(ticket, actor, name="closed successful"):
    return actions.set_state(ticket, factories.state(name), actor=actor)


def reply_mail(ticket, actor, to="Carla Customer <carla@acme.example>"):
    return actions.send_email(
        ticket,
        actions.ArticleInput(
            to_address=to,
            subject=f"Re: [Ticket#{ticket.number}] Printer on fire",
            body="Done, it prints again.",
        ),
        actor=actor,
    )


# --- an answer ---------------------------------------------------------------------------------


def test_a_visible_note_is_mailed_to_the_customer(desk, ticket, committed, settings):
    internal_note(ticket, desk.rw)
    with committed:
        note = answer(ticket, desk.rw)

    (message,) = notifications()
    assert message.recipients == ["carla@acme.example"]
    mail = parsed(message)
    assert mail["Subject"] == f"[Ticket#{ticket.number}] New answer to your ticket: Printer on fire"
    assert mail["To"] == "Carla Customer <carla@acme.example>"
    assert mail["From"] == "Example Support <support@desk.example.org>"
    # Automatic mail: nobody answers it automatically.
    assert mail["Auto-Submitted"] == "auto-generated" and mail["X-Loop"] == "yes"
    text = body(message)
    assert text.startswith("Hello Carla Customer,\n")
    assert f"There is a new answer to your ticket Ticket#{ticket.number}." in text
    assert "From: Alice Agent" in text
    assert "Please switch it off and on again." in text
    assert f"https://desk.example.org/customer/tickets/{ticket.pk}/" in text
    assert "State: new" in text
    assert SECRET not in text and "Contract" not in text

    # An Email article of the system the customer sees, whose source is the queued mail.
    article = Article.objects.get(pk=message.ticket_delivery.article_id)
    assert article.ticket_id == ticket.pk and article.pk > note.pk
    assert (article.channel, article.sender_type) == (Channel.EMAIL, SenderType.SYSTEM)
    assert article.is_visible_for_customer
    assert bytes(article.raw.content) == message.content()
    history = TicketHistory.objects.get(
        ticket=ticket, history_type=HistoryType.SEND_CUSTOMER_NOTIFICATION
    )
    assert history.article_id == article.pk and history.actor.username == "system"
    # Counted against the address's automatic mails of the day.
    assert LoopProtection.objects.get(address="carla@acme.example").count == 1


@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.WEB])
def test_other_visible_answers_that_are_no_mail_are_mailed_too(desk, ticket, committed, channel):
    with committed:
        answer(ticket, desk.rw, "Called back: the spare part arrives Monday.", channel=channel)

    (message,) = notifications()
    assert "Called back: the spare part arrives Monday." in body(message)


def test_an_html_answer_is_mailed_as_text_and_its_attachments_are_mentioned(
    desk, ticket, committed
):
    with committed:
        answer(
            ticket,
            desk.rw,
            "",
            body_html="<p>Use the <b>front</b> tray.</p>",
            attachments=[actions.AttachmentInput("manual.pdf", b"%PDF", "application/pdf")],
        )

    text = body(notifications()[0])
    assert "Use the front tray." in text and "<b>" not in text
    assert "This answer has an attachment" in text
    assert "manual.pdf" not in parsed(notifications()[0]).as_string()


def test_internal_notes_are_never_mailed(desk, ticket, committed):
    with committed:
        internal_note(ticket, desk.rw)
        actions.add_article(
            ticket,
            actions.ArticleInput(channel=Channel.PHONE, body=SECRET, is_visible_for_customer=False),
            actor=desk.rw,
        )

    assert notifications() == []


def test_an_agents_mail_is_the_answer_itself(desk, ticket, committed):
    with committed:
        reply_mail(ticket, desk.rw)

    assert notifications() == []
    assert OutboundMessage.objects.filter(kind=OutboundKind.ARTICLE).count() == 1


def test_the_customers_own_articles_are_not_announced_to_them(desk, ticket, carla, committed):
    with committed:
        # A mail from the customer (through the system) and a portal follow-up by her login.
        actions.add_article(
            ticket,
            actions.ArticleInput(
                channel=Channel.EMAIL,
                sender_type=SenderType.CUSTOMER,
                is_visible_for_customer=True,
                from_address="carla@acme.example",
                body="Still smoking.",
            ),
            actor=factories.system(),
        )
        portal_follow_up(ticket, carla.user)
        # And the phone call she made, typed in by the agent.
        actions.add_article(
            ticket,
            actions.ArticleInput(
                channel=Channel.PHONE,
                sender_type=SenderType.CUSTOMER,
                is_visible_for_customer=True,
                body="She called: still smoking.",
            ),
            actor=desk.rw,
        )

    assert notifications() == []


def test_a_visible_first_article_opens_a_ticket_and_is_no_answer(desk, carla, committed):
    with committed:
        actions.create_ticket(
            title="Your new laptop",
            queue=desk.queue,
            actor=desk.rw,
            customer_user="carla",
            article=actions.ArticleInput(
                channel=Channel.PHONE,
                sender_type=SenderType.AGENT,
                is_visible_for_customer=True,
                body="We called you about your new laptop.",
            ),
        )

    assert notifications() == []


def test_the_notification_does_not_notify_about_itself(desk, ticket, committed):
    with committed:
        answer(ticket, desk.rw)

    (message,) = notifications()
    # Its ArticleCreate event went by (the callbacks it scheduled ran too) and sent nothing;
    # asked directly, the rules refuse it as well.
    system = factories.system().pk
    kind = HistoryType.SEND_CUSTOMER_NOTIFICATION

    def created(actor_id, kind):
        payload = {"article_id": message.ticket_delivery.article_id, "history_type": kind}
        return Event(TicketEvent.ARTICLE_CREATE, "ticket", ticket.pk, actor_id, payload)

    assert notification_changes.change_events([created(system, kind)]) == []
    kind = HistoryType.SEND_ANSWER
    assert notification_changes.change_events([created(desk.rw.pk, kind)]) == []
    assert len(notifications()) == 1
    assert Article.objects.filter(ticket=ticket).count() == 3


# --- closed and reopened -----------------------------------------------------------------------


def test_closing_and_reopening_are_announced(desk, ticket, committed):
    with committed:
        close(ticket, desk.rw)
    with committed:
        actions.set_state(ticket, factories.state("open"), actor=desk.rw)

    closed, reopened = notifications()
    assert parsed(closed)["Subject"] == (
        f"[Ticket#{ticket.number}] Your ticket was closed: Printer on fire"
    )
    assert f"Your ticket Ticket#{ticket.number} was closed." in body(closed)
    assert "State: closed successful" in body(closed)
    assert f"https://desk.example.org/customer/tickets/{ticket.pk}/" in body(closed)
    assert parsed(reopened)["Subject"] == (
        f"[Ticket#{ticket.number}] Your ticket was reopened: Printer on fire"
    )
    assert "State: open" in body(reopened)
    assert (
        TicketHistory.objects.filter(
            ticket=ticket, history_type=HistoryType.SEND_CUSTOMER_NOTIFICATION
        ).count()
        == 2
    )


def test_a_close_by_the_system_is_announced(ticket, committed):
    """Such as a pending auto close running out."""
    with committed:
        close(ticket, factories.system(), "closed unsuccessful")

    (message,) = notifications()
    assert "Your ticket was closed" in parsed(message)["Subject"]


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("new", "open"),  # work starts
        ("open", "pending reminder"),
        ("pending reminder", "open"),
        ("open", "removed"),
        ("closed successful", "closed unsuccessful"),  # closed already
        ("closed successful", "pending reminder"),  # reopened, but to wait: no news
    ],
)
def test_other_state_changes_are_not_announced(desk, ticket, committed, first, then):
    def go(name):
        until = timezone.now() + timedelta(days=1) if name.startswith("pending") else None
        actions.set_state(ticket, factories.state(name), actor=desk.rw, pending_until=until)

    if first != "new":
        go(first)
    OutboundMessage.objects.all().delete()
    with committed:
        go(then)

    assert notifications() == []


def test_a_state_change_by_the_customer_is_not_announced(ticket, carla, committed):
    close(ticket, factories.system())
    row = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.STATE_UPDATE).last()

    with committed:
        events.record(
            TicketEvent.TICKET_STATE_UPDATE,
            ticket_id=ticket.pk,
            actor_id=carla.user.pk,
            data={"old": row.old_value, "new": row.new_value},
        )

    assert notifications() == []


def test_a_customers_mail_that_reopens_the_ticket_is_not_announced(desk, ticket, committed):
    close(ticket, desk.rw)
    raw = (
        "From: Carla Customer <carla@acme.example>\r\nTo: support@desk.example.org\r\n"
        f"Subject: Re: [Ticket#{ticket.number}] Printer on fire\r\n"
        "Message-ID: <again@acme.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nIt is burning again.\r\n"
    ).encode()

    with committed:
        stored = receive(raw, source=InboundSource.PIPE)

    ticket.refresh_from_db()
    assert stored.ticket_id == ticket.pk and ticket.state.name == "open"
    assert notifications() == []


# --- one change, one mail ----------------------------------------------------------------------


def test_a_close_with_a_visible_note_is_one_mail(desk, ticket, committed):
    with committed:
        answer(ticket, desk.rw, "Replaced the fuser; closing.")
        close(ticket, desk.rw)

    (message,) = notifications()
    assert "Your ticket was closed" in parsed(message)["Subject"]
    text = body(message)
    assert "Replaced the fuser; closing." in text and "From: Alice Agent" in text


def test_a_bulk_close_with_a_visible_note_is_one_mail(desk, ticket, committed):
    """Bulk actions change the state first, then add the note."""
    with committed:
        close(ticket, desk.rw)
        answer(ticket, desk.rw, "Closed in the big clean-up.")

    (message,) = notifications()
    assert "Your ticket was closed" in parsed(message)["Subject"]
    assert "Closed in the big clean-up." in body(message)


def test_a_reply_that_closes_the_ticket_needs_no_notification(desk, ticket, committed):
    with committed:
        reply_mail(ticket, desk.rw)
        close(ticket, desk.rw)

    assert notifications() == []


def test_a_mail_to_someone_else_does_not_hide_the_close(desk, ticket, committed):
    with committed:
        reply_mail(ticket, desk.rw, to="vendor@printers.example")
        close(ticket, desk.rw)

    (message,) = notifications()
    assert "Your ticket was closed" in parsed(message)["Subject"]
    assert "Done, it prints again." not in body(message)


def test_an_internal_note_with_the_close_stays_internal(desk, ticket, committed):
    with committed:
        internal_note(ticket, desk.rw)
        close(ticket, desk.rw)

    (message,) = notifications()
    assert SECRET not in body(message)


def test_a_note_and_a_later_close_are_two_mails(desk, ticket, committed):
    with committed:
        answer(ticket, desk.rw)
    with committed:
        close(ticket, desk.rw)

    answered, closed = notifications()
    assert "New answer" in parsed(answered)["Subject"]
    assert "Your ticket was closed" in parsed(closed)["Subject"]
    assert "switch it off" not in body(closed)


# --- who gets it -------------------------------------------------------------------------------


def test_it_writes_in_the_customers_language(desk, committed):
    customer_user("dieter", "dieter@globex.example", language="de")
    ticket = factories.ticket(desk.queue, title="Drucker", customer_user="dieter")

    with committed:
        answer(ticket, desk.rw, "Bitte neu starten.")
        close(ticket, desk.rw)

    text = body(notifications()[0])
    # Words the German catalogue has: the labels and the state name.
    assert "Titel: Drucker" in text
    assert "Status: erfolgreich geschlossen" in text
    assert "Bitte neu starten." in text
    assert f"[Ticket#{ticket.number}]" in parsed(notifications()[0])["Subject"]


def test_an_unknown_sender_address_is_written_to_without_a_portal_link(desk, committed):
    ticket = factories.ticket(desk.queue, customer_user="bob@example.org")

    with committed:
        answer(ticket, desk.rw)

    (message,) = notifications()
    assert message.recipients == ["bob@example.org"]
    text = body(message)
    assert text.startswith("Hello,\n")
    assert "/customer/" not in text and "answer this mail" in text


@pytest.mark.parametrize("customer", ["", "nobody", "MAILER-DAEMON@example.org"])
def test_no_customer_to_write_to_means_no_mail(desk, committed, customer):
    ticket = factories.ticket(desk.queue, customer_user=customer)

    with committed:
        answer(ticket, desk.rw)
        close(ticket, desk.rw)

    assert notifications() == []


@pytest.mark.parametrize("what", ["invalid", "inactive", "no address", "system address"])
def test_a_customer_user_who_cannot_be_written_to_gets_nothing(
    desk, carla, ticket, committed, what
):
    if what == "invalid":
        CustomerUser.objects.filter(pk=carla.pk).update(is_valid=False)
    elif what == "inactive":
        type(carla.user).objects.filter(pk=carla.user.pk).update(is_active=False)
    elif what == "no address":
        CustomerUser.objects.filter(pk=carla.pk).update(email="")
    else:
        CustomerUser.objects.filter(pk=carla.pk).update(email="support@desk.example.org")

    with committed:
        answer(ticket, desk.rw)

    assert notifications() == []


def test_merged_tickets_are_never_announced(desk, ticket, committed):
    other = factories.ticket(desk.queue, customer_user="carla")

    with committed:
        # The merge gives the source a note the customer may see, and the merged state.
        actions.merge_tickets(ticket, other, actor=desk.rw)

    assert notifications() == []


def test_unmerging_a_closed_ticket_does_not_announce_a_close(desk, ticket, committed):
    other = factories.ticket(desk.queue, customer_user="carla")
    close(ticket, desk.rw)
    actions.merge_tickets(ticket, other, actor=desk.rw)

    with committed:
        actions.unmerge_ticket(ticket, actor=desk.rw)

    ticket.refresh_from_db()
    assert ticket.state.name == "closed successful"
    assert notifications() == []


# --- limits, failures, rollbacks ---------------------------------------------------------------


def test_the_daily_limit_of_automatic_mails_holds(desk, ticket, committed, settings):
    settings.POSTMASTER_MAX_AUTO_MAILS = 2

    for text in ("One.", "Two.", "Three."):
        with committed:
            answer(ticket, desk.rw, text)

    assert len(notifications()) == 2
    assert LoopProtection.objects.get(address="carla@acme.example").count == 2
    refused = TicketHistory.objects.get(ticket=ticket, history_type=HistoryType.LOOP_PROTECTION)
    assert refused.new_value == "carla@acme.example"
    # The change itself is there.
    assert ticket.articles.filter(body="Three.").exists()


def test_a_rolled_back_change_sends_nothing(desk, ticket, committed):
    with committed, pytest.raises(RuntimeError), transaction.atomic():
        answer(ticket, desk.rw)
        close(ticket, desk.rw)
        raise RuntimeError("the form failed after all")

    assert notifications() == []
    assert not Article.objects.filter(ticket=ticket, sender_type=SenderType.AGENT).exists()


def test_a_failing_notification_leaves_the_change_alone_and_is_tried_again(
    desk, ticket, committed, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("mail building broke")

    monkeypatch.setattr("tickets.notification_customers.send_email", broken)
    with caplog.at_level(logging.ERROR, logger="otrs.events.delivery"), committed:
        note = answer(ticket, desk.rw)

    assert Article.objects.filter(pk=note.pk).exists()
    assert notifications() == []
    delivery = EventDelivery.objects.get(handler=sender.HANDLER)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "mail building broke" in delivery.last_error
    assert sender.HANDLER in caplog.text
    # Nothing was counted for a mail that never went.
    assert not LoopProtection.objects.exists()


def test_muted_changes_notify_nobody(desk, ticket, committed):
    with sender.muted(), committed:
        answer(ticket, desk.rw)

    assert notifications() == []


def test_agents_who_had_read_the_ticket_still_have(desk, ticket, committed):
    actions.mark_seen(ticket, user=desk.rw)

    with committed:
        answer(ticket, desk.rw)

    assert len(notifications()) == 1
    assert TicketFlag.objects.filter(ticket=ticket, user=desk.rw, key="seen").exists()
    assert not TicketFlag.objects.filter(ticket=ticket, user=desk.ro).exists()


# --- delivery ----------------------------------------------------------------------------------


def test_the_notification_is_delivered_through_the_outgoing_queue(
    smtp_server, desk, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer(ticket, desk.rw, "Your printer is fixed.")

    (received,) = smtp_server.messages
    assert received.mail_from == "support@desk.example.org"
    assert received.rcpt_tos == ["carla@acme.example"]
    message = received.message
    assert message["Subject"] == (
        f"[Ticket#{ticket.number}] New answer to your ticket: Printer on fire"
    )
    assert message["Auto-Submitted"] == "auto-generated" and message["Precedence"] == "bulk"
    assert "Your printer is fixed." in message.get_content()
    (row,) = notifications()
    assert row.status == "sent"
    assert (
        Ticket.objects.get(pk=ticket.pk).articles.filter(pk=row.ticket_delivery.article_id).exists()
    )
