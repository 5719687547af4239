"""Customer notifications as records (issue 15): migration tickets 0030 installs the three
mails the code sent before, word for word; the recipient "the ticket's customer" works for
any notification, is traced and previewed through the agents' code."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from otrs.events import delivery
from otrs.events.models import DeliveryStatus, EventBatch, EventDelivery
from otrs.mail.models import OutboundMessage
from tests import factories
from tests.tickets import test_customer_notifications as base
from tests.tickets.test_customer_notifications import (
    answer,
    body,
    close,
    customer_user,
    notifications,
    parsed,
    portal_follow_up,
)
from tickets import actions
from tickets import notifications as sender
from tickets.choices import Channel, SenderType
from tickets.models import (
    Article,
    NotificationSkip,
    NotificationTrace,
    TicketNotification,
    TicketNotificationText,
)

pytestmark = pytest.mark.django_db

# The fixtures of the customer notification tests, shared.
committed = base.committed
desk = base.desk
carla = base.carla
ticket = base.ticket
_no_sending = base._no_sending

CUSTOMER_KEYS = {"customer_answer", "customer_ticket_closed", "customer_ticket_reopened"}

# The mails tickets/customer_notifications.py composed before it was removed, captured from
# that code (NUMBER and PK stand for the ticket's number and id).
ANSWER_EN = (
    "[Ticket#NUMBER] New answer to your ticket: Printer on fire",
    "Hello Carla Customer,\n\nThere is a new answer to your ticket Ticket#NUMBER.\n\n"
    "From: Alice Agent\nSubject: Your printer\n\nLine one.\nLine two.\n\n"
    "Ticket: Ticket#NUMBER\nTitle: Printer on fire\nState: new\n\n"
    "See the ticket and answer it in the customer portal:\n"
    "https://desk.example.org/customer/tickets/PK/\n\n"
    "You can also answer this mail; please keep the ticket number in the subject.\n\n"
    "-- \nThis mail was sent automatically.\n\n",
)
CLOSED_DE = (
    "[Ticket#NUMBER] Ihr Ticket wurde geschlossen: Attach",
    "Hallo Dieter Kunde,\n\nIhr Ticket Ticket#NUMBER wurde geschlossen.\n\n"
    "Von: Alice Agent\nBetreff: Your printer\n\none\n\n"
    "Diese Antwort enthält einen Anhang; Sie finden ihn beim Ticket im Kundenportal.\n\n"
    "Ticket: Ticket#NUMBER\nTitel: Attach\nStatus: erfolgreich geschlossen\n\n"
    "Im Kundenportal können Sie das Ticket ansehen:\n"
    "https://desk.example.org/customer/tickets/PK/\n\n"
    "Sie können auch auf diese E-Mail antworten; bitte lassen Sie dabei die Ticketnummer im "
    "Betreff stehen.\n\n-- \nDiese E-Mail wurde automatisch versendet.\n\n",
)
REOPENED_UNKNOWN_EN = (
    "[Ticket#NUMBER] Your ticket was reopened: Unknown",
    "Hello,\n\nYour ticket Ticket#NUMBER was reopened; we are working on it again.\n\n"
    "Ticket: Ticket#NUMBER\nTitle: Unknown\nState: open\n\n"
    "You can also answer this mail; please keep the ticket number in the subject.\n\n"
    "-- \nThis mail was sent automatically.\n\n",
)


def expected(mail, ticket):
    def fill(text):
        return text.replace("NUMBER", ticket.number).replace("PK", str(ticket.pk))

    return fill(mail[0]), fill(mail[1])


def sent(message):
    return parsed(message)["Subject"], body(message)


def test_the_migration_installs_the_customer_notifications():
    found = {n.key: n for n in TicketNotification.objects.filter(key__in=CUSTOMER_KEYS)}
    assert set(found) == CUSTOMER_KEYS
    for notification in found.values():
        assert notification.valid and notification.recipients == ["customer"]
        # Not an agent's preference.
        assert not notification.agent_may_choose
        assert {t.language for t in notification.texts.all()} == {"en", "de"}
    assert found["customer_answer"].events == ["VisibleAnswer"]
    assert found["customer_ticket_closed"].events == ["TicketClosed"]
    assert found["customer_ticket_reopened"].events == ["TicketReopened"]


def test_the_answer_mail_is_the_one_sent_before_records(desk, ticket, committed):
    with committed:
        answer(ticket, desk.rw, "Line one.\nLine two.")

    (message,) = notifications()
    assert sent(message) == expected(ANSWER_EN, ticket)


def test_the_closed_mail_is_the_one_sent_before_records(desk, committed):
    dieter = customer_user("dieter", "dieter@globex.example", language="de")
    dieter.user.first_name, dieter.user.last_name = "Dieter", "Kunde"
    dieter.user.save()
    ticket = factories.ticket(desk.queue, title="Attach", customer_user="dieter")
    pdf = actions.AttachmentInput("a.pdf", b"%PDF", "application/pdf")

    with committed:
        answer(ticket, desk.rw, "one", attachments=[pdf])
        close(ticket, desk.rw)

    (message,) = notifications()
    assert sent(message) == expected(CLOSED_DE, ticket)


def test_the_reopened_mail_is_the_one_sent_before_records(desk, committed):
    ticket = factories.ticket(desk.queue, title="Unknown", customer_user="bob@example.org")
    close(ticket, desk.rw)
    OutboundMessage.objects.all().delete()

    with committed:
        actions.set_state(ticket, factories.state("open"), actor=desk.rw)

    (message,) = notifications()
    assert sent(message) == expected(REOPENED_UNKNOWN_EN, ticket)


def test_each_decision_for_the_customer_is_traced(desk, ticket, committed):
    nobody = factories.ticket(desk.queue, customer_user="nobody")
    with committed:
        answer(ticket, desk.rw)
        answer(nobody, desk.rw)

    traces = NotificationTrace.objects.filter(notification__key="customer_answer")
    found = {(t.ticket_id, t.recipient, t.outcome, t.reason) for t in traces}
    assert found == {
        (ticket.pk, "carla@acme.example", "sent", ""),
        (nobody.pk, "nobody", "skipped", NotificationSkip.NO_CUSTOMER),
    }


def test_the_daily_limit_is_traced(desk, ticket, committed, settings):
    settings.POSTMASTER_MAX_AUTO_MAILS = 1
    for text in ("One.", "Two."):
        with committed:
            answer(ticket, desk.rw, text)

    reasons = list(
        NotificationTrace.objects.filter(notification__key="customer_answer")
        .order_by("pk")
        .values_list("reason", flat=True)
    )
    assert reasons == ["", NotificationSkip.DAILY_LIMIT]
    assert len(notifications()) == 1


def own_record(events, *, key="prio-to-customer"):
    """A notification an admin made: to the customer, on ``events``."""
    notification = TicketNotification.objects.create(
        key=key, name=key, events=events, recipients=["customer"], agent_may_choose=False
    )
    TicketNotificationText.objects.create(
        notification=notification,
        language="en",
        subject="News on <OTRS_TICKET_Title>",
        body="<OTRS_NOTIFICATION_Greeting>\nPriority: <OTRS_TICKET_Priority>\n",
    )
    return notification


def test_any_notification_may_go_to_the_customer(desk, ticket, committed):
    own_record(["TicketPriorityUpdate"])

    with committed:
        actions.set_priority(ticket, factories.priority(5), actor=desk.rw)

    (message,) = notifications()
    assert sent(message) == (
        f"[Ticket#{ticket.number}] News on Printer on fire",
        "Hello Carla Customer,\nPriority: 5 very high\n",
    )
    article = Article.objects.get(pk=message.ticket_delivery.article_id)
    assert (article.channel, article.sender_type) == (Channel.EMAIL, SenderType.SYSTEM)


def test_the_customer_who_made_the_change_is_not_told(desk, ticket, carla, committed):
    own_record(["ArticleCreate"], key="article-to-customer")

    with committed:
        portal_follow_up(ticket, carla.user)

    assert notifications() == []
    trace = NotificationTrace.objects.get(notification__key="article-to-customer")
    assert (trace.recipient, trace.reason) == ("carla@acme.example", NotificationSkip.ACTOR)


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(
        "custroot", "custroot@example.test", "pw", kind=UserKind.AGENT
    )
    client.force_login(user)
    return client


def test_the_preview_shows_the_customers_mail_and_writes_nothing(root, desk, ticket):
    answer(ticket, desk.rw, "Line one.\nLine two.")
    OutboundMessage.objects.all().delete()
    articles = Article.objects.count()
    closed = TicketNotification.objects.get(key="customer_ticket_closed")
    url = reverse("admin:tickets_ticketnotification_preview", args=[closed.pk])

    page = root.get(url, {"ticket": ticket.number, "event": "TicketClosed", "actor": desk.rw.pk})

    text = page.content.decode()
    assert page.status_code == 200
    assert "carla@acme.example" in text
    assert f"[Ticket#{ticket.number}] Your ticket was closed: Printer on fire" in text
    assert "Line one." in text and "See the ticket in the customer portal:" in text
    assert not OutboundMessage.objects.exists() and not NotificationTrace.objects.exists()
    assert Article.objects.count() == articles


def test_a_delivery_left_under_the_retired_handler_mails_the_customer_once(desk, ticket, committed):
    with committed:
        answer(ticket, desk.rw)
    (sent_once,) = notifications()
    # Queued under the new handler's delivery key: "<handler>:<batch id>:...".
    batch = EventBatch.objects.get(pk=sent_once.idempotency_key.split(":")[1])
    # Nothing new is handed to the retired name ...
    assert not EventDelivery.objects.filter(handler=sender.RETIRED_CUSTOMER_HANDLER).exists()
    # ... but a delivery made under it before the upgrade, while the old agent handler had
    # already done its part (so no customer mail yet), still reaches the customer.
    OutboundMessage.objects.all().delete()
    old = EventDelivery.objects.create(batch=batch, handler=sender.RETIRED_CUSTOMER_HANDLER)

    assert delivery.attempt(old.pk) == DeliveryStatus.DONE
    (message,) = notifications()
    assert message.recipients == ["carla@acme.example"]

    # The new handler's delivery of the same change, run again, queues it no second time.
    new = EventDelivery.objects.get(batch=batch, handler=sender.HANDLER)
    EventDelivery.objects.filter(pk=new.pk).update(status=DeliveryStatus.PENDING)
    assert delivery.attempt(new.pk) == DeliveryStatus.DONE
    assert len(notifications()) == 1
