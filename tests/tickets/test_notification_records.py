"""Notifications as records (spec 11, issue 15 part 3): the defaults the migration installs,
filters (custom fields too), recipients, texts per language, once per day, the trace, the
admin (create, copy, invalidate, preview) and the agents' preferences."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from otrs.mail.models import OutboundMessage
from tests import factories
from tests.fields.helpers import define
from tests.tickets import test_notifications as base
from tests.tickets.test_notifications import agent, body, follow_up, mails, my_queue, recipients
from tickets import actions, events, notifications
from tickets.events import TicketEvent
from tickets.models import (
    NotificationOutcome,
    NotificationSkip,
    NotificationTrace,
    TicketNotification,
    TicketNotificationText,
)

pytestmark = pytest.mark.django_db

# The fixtures of the notification tests, shared.
committed = base.committed
team = base.team

DEFAULT_KEYS = {
    "new_ticket",
    "follow_up_unlocked",
    "follow_up_locked",
    "new_note",
    "mention",
    "owner_update",
    "responsible_update",
    "queue_update",
    "lock_timeout",
    "escalation",
    "escalation_warning",
    "pending_reminder_locked",
    "pending_reminder_unlocked",
}


def record(name, *, events=("TicketPriorityUpdate",), texts=None, **fields):
    """A notification of its own (the defaults stay as they are)."""
    fields.setdefault("recipients", ["owner"])
    notification = TicketNotification.objects.create(
        key=name.replace(" ", "-"), name=name, events=list(events), **fields
    )
    for language, (subject, text) in (texts or {"en": ("Prio <OTRS_TICKET_Title>", "P")}).items():
        TicketNotificationText.objects.create(
            notification=notification, language=language, subject=subject, body=text
        )
    return notification


def test_the_migration_installs_the_otrs_defaults_in_english_and_german():
    found = {n.key: n for n in TicketNotification.objects.filter(key__in=DEFAULT_KEYS)}
    assert set(found) == DEFAULT_KEYS
    for notification in found.values():
        assert notification.valid and notification.agent_may_choose
        assert {t.language for t in notification.texts.all()} == {"en", "de"}
    assert found["follow_up_unlocked"].ticket_filter == {
        "all": [{"attr": "lock", "op": "equals", "value": "unlock"}]
    }
    assert found["pending_reminder_locked"].once_per_day
    assert not found["new_ticket"].once_per_day


def test_the_default_new_ticket_mail_is_the_one_sent_before_records(team, committed, settings):
    settings.SITE_URL = "https://desk.example.org"
    my_queue(team.ro, team.queue)

    with committed:
        ticket = factories.ticket(
            team.queue, body="Line 1\nLine 2", title="Toner", customer_user="alice@example.com"
        )

    message = mails()["ro_agent@example.com"]
    assert message.subject == f"[Ticket#{ticket.number}] New ticket: Toner"
    assert body(message) == (
        "A new ticket was opened in queue Support.\n\n"
        f"Ticket: Ticket#{ticket.number}\n"
        "Title: Toner\nQueue: Support\nState: new\nPriority: 3 normal\nOwner: System\n"
        "Customer: alice@example.com\n\n"
        "From: System\nSubject: Toner\n\nLine 1\nLine 2\n\n"
        f"Open the ticket: https://desk.example.org/agent/tickets/{ticket.pk}/\n\n"
        "-- \nYou get this mail because of your notification preferences:\n"
        "https://desk.example.org/agent/preferences/\n"
    )


def test_an_edited_default_text_is_what_agents_get(team, committed):
    my_queue(team.ro, team.queue)
    text = TicketNotificationText.objects.get(notification__key="new_ticket", language="en")
    text.subject = "Fresh: <OTRS_TICKET_Title> for <OTRS_NOTIFICATION_RECIPIENT_UserLogin>"
    text.body = "Queue <OTRS_TICKET_Queue>, by <OTRS_CURRENT_UserFullname>."
    text.save()

    with committed:
        factories.ticket(team.queue, title="Edited")

    message = mails()["ro_agent@example.com"]
    assert message.subject.endswith("Fresh: Edited for ro_agent")
    assert body(message) == "Queue Support, by System.\n"


def test_a_switched_off_default_sends_nothing_and_the_follow_up_filter_picks_by_lock(
    team, committed
):
    TicketNotification.objects.filter(key="new_ticket").update(valid=False)
    my_queue(team.ro, team.queue)
    with committed:
        ticket = factories.ticket(team.queue, owner=team.rw)
    assert recipients() == set()

    with committed:
        follow_up(ticket)
    traces = NotificationTrace.objects.filter(ticket_id=ticket.pk)
    assert set(traces.filter(outcome="sent").values_list("notification__key", flat=True)) == {
        "follow_up_unlocked"
    }
    skipped = traces.get(notification__key="follow_up_locked")
    assert (skipped.outcome, skipped.reason) == (
        NotificationOutcome.SKIPPED,
        NotificationSkip.FILTER,
    )


def test_a_custom_field_filter_decides(team, committed):
    define("NotifySeverity", "text")
    record(
        "prio on severe",
        ticket_filter={
            "all": [{"attr": "field:NotifySeverity", "op": "equals", "value": "severe"}]
        },
    )
    mild = factories.ticket(team.queue, owner=team.rw, title="Mild")
    severe = factories.ticket(team.queue, owner=team.rw, title="Severe")
    actions.set_field_values(mild, {"NotifySeverity": "mild"}, actor=factories.system())
    actions.set_field_values(severe, {"NotifySeverity": "severe"}, actor=factories.system())

    with committed:
        for ticket in (mild, severe):
            actions.set_priority(ticket, factories.priority(5), actor=factories.system())

    assert [m.subject for m in mails().values()] == [f"[Ticket#{severe.number}] Prio Severe"]
    assert NotificationTrace.objects.get(ticket_id=mild.pk).reason == NotificationSkip.FILTER


def test_texts_per_language_with_a_fallback_to_the_site_language(team, committed):
    german = agent("german", language="de")
    factories.grant(german, team.group, factories.RO)
    french = agent("french", language="fr")
    factories.grant(french, team.group, factories.RO)
    record(
        "prio languages",
        recipients=[],
        texts={"en": ("In English", "E"), "de": ("Auf Deutsch", "D")},
    ).recipient_agents.set([german, french, team.rw])
    ticket = factories.ticket(team.queue)

    with committed:
        actions.set_priority(ticket, factories.priority(5), actor=factories.system())

    subjects = {a.split("@")[0]: m.subject.split("] ")[1] for a, m in mails().items()}
    assert subjects == {"german": "Auf Deutsch", "french": "In English", "rw_agent": "In English"}


def test_groups_roles_and_addresses_are_recipients_but_given_agents_must_read(team, committed):
    in_role = agent("inrole")
    factories.grant(in_role, team.group, factories.RO)
    role = factories.role("notify role", members=[in_role])
    stranger = agent("stranger")  # reads nothing
    notification = record("prio wide", recipients=[], recipient_addresses="boss@example.org")
    notification.recipient_groups.set([team.group])
    notification.recipient_roles.set([role])
    notification.recipient_agents.set([stranger])
    ticket = factories.ticket(team.queue)

    with committed:
        actions.set_priority(ticket, factories.priority(5), actor=team.rw)

    assert set(mails()) == {"ro_agent@example.com", "inrole@example.com", "boss@example.org"}
    reasons = dict(
        NotificationTrace.objects.filter(outcome="skipped").values_list("recipient", "reason")
    )
    assert reasons == {
        "rw_agent": NotificationSkip.ACTOR,
        "stranger": NotificationSkip.MAY_NOT_READ,
    }


def test_once_per_day_per_ticket(team, committed):
    record("prio daily", once_per_day=True)
    ticket = factories.ticket(team.queue, owner=team.rw)
    other = factories.ticket(team.queue, owner=team.rw)

    with committed:
        actions.set_priority(ticket, factories.priority(5), actor=factories.system())
    with committed:
        actions.set_priority(ticket, factories.priority(4), actor=factories.system())
    with committed:
        actions.set_priority(other, factories.priority(4), actor=factories.system())

    assert OutboundMessage.objects.count() == 2
    assert NotificationTrace.objects.filter(reason=NotificationSkip.ONCE_PER_DAY).count() == 1


def test_preferences_list_only_what_agents_may_choose_and_honour_the_default(
    client, team, committed
):
    record("prio forced", agent_may_choose=False)
    record("prio opt in", enabled_by_default=False, events=("TicketPriorityUpdate",))
    client.force_login(team.rw)
    page = client.get("/agent/preferences/").content.decode()
    assert 'name="notify_prio-opt-in"' in page and 'name="notify_prio-forced"' not in page
    assert "Ein neues Ticket" not in page and "A new ticket in one of my queues" in page
    ticket = factories.ticket(team.queue, owner=team.rw)

    with committed:
        actions.set_priority(ticket, factories.priority(5), actor=factories.system())
    sent = set(
        NotificationTrace.objects.filter(outcome="sent").values_list("notification_name", flat=True)
    )
    assert sent == {"prio forced"}

    team.rw.notification_preferences = {"prio-opt-in": True, "prio-forced": False}
    team.rw.save()
    with committed:
        actions.set_priority(ticket, factories.priority(4), actor=factories.system())
    assert OutboundMessage.objects.count() == 3


def test_the_preferences_page_shows_built_in_names_in_german(client, team):
    team.rw.language = "de"
    team.rw.save()
    client.force_login(team.rw)
    assert (
        "Ein neues Ticket in einer meiner Queues"
        in client.get("/agent/preferences/").content.decode()
    )


# --- the admin ---------------------------------------------------------------------------------


@pytest.fixture
def root(client):
    user = User.objects.create_superuser(
        "notifroot", "notifroot@example.test", "pw", kind=UserKind.AGENT
    )
    client.force_login(user)
    return client


def _form(**extra):
    data = {
        "name": "Admin made",
        "key": "admin-made",
        "events": ["TicketPriorityUpdate"],
        "ticket_filter": "priority = 5 very high",
        "recipients": ["owner"],
        "transports": ["email"],
        "agent_may_choose": "on",
        "enabled_by_default": "on",
        "valid": "on",
        "texts-TOTAL_FORMS": "1",
        "texts-INITIAL_FORMS": "0",
        "texts-MIN_NUM_FORMS": "1",
        "texts-MAX_NUM_FORMS": "2",
        "texts-0-language": "en",
        "texts-0-subject": "Very high: <OTRS_TICKET_Title>",
        "texts-0-body": "Look.",
    }
    data.update(extra)
    return data


def test_the_admin_creates_a_notification_that_then_sends(root, team, committed):
    response = root.post(reverse("admin:tickets_ticketnotification_add"), _form())
    assert response.status_code == 302, response.content.decode()[:3000]
    made = TicketNotification.objects.get(key="admin-made")
    assert made.ticket_filter["all"][0]["attr"] == "priority"
    ticket = factories.ticket(team.queue, owner=team.rw)

    with committed:
        actions.set_priority(ticket, factories.priority(5), actor=factories.system())

    assert [m.subject for m in mails().values()] == [
        f"[Ticket#{ticket.number}] Very high: Printer on fire"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ticket_filter": "priority = nonsense"}, "nonsense"),
        ({"recipients": [], "recipient_addresses": "not an address"}, "is no mail address"),
        ({"recipients": []}, "Choose at least one recipient."),
        ({"events": []}, "This field is required."),
        ({"texts-TOTAL_FORMS": "0"}, "Please submit at least 1 form."),
    ],
)
def test_the_admin_refuses_bad_input_and_saves_nothing(root, change, message):
    response = root.post(reverse("admin:tickets_ticketnotification_add"), _form(**change))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TicketNotification.objects.filter(key="admin-made").exists()


def test_copy_and_invalidate(root):
    original = TicketNotification.objects.get(key="new_note")
    changelist = reverse("admin:tickets_ticketnotification_changelist")
    root.post(changelist, {"action": "copy_selected", "_selected_action": [original.pk]})
    copy = TicketNotification.objects.get(key="new_note-copy")
    assert not copy.valid and copy.events == original.events
    assert copy.texts.count() == 2 and copy.name.endswith("(copy)")

    root.post(changelist, {"action": "invalidate_selected", "_selected_action": [original.pk]})
    original.refresh_from_db()
    assert not original.valid


def test_the_preview_shows_who_would_get_what_and_sends_nothing(root, team):
    ticket = factories.ticket(team.queue, owner=team.rw, responsible=team.ro)
    note = TicketNotification.objects.get(key="new_note")
    url = reverse("admin:tickets_ticketnotification_preview", args=[note.pk])

    page = root.get(url, {"ticket": ticket.number, "event": "AddNote", "actor": team.ro.pk})

    text = page.content.decode()
    assert page.status_code == 200
    assert "rw_agent" in text and f"[Ticket#{ticket.number}] New note: Printer on fire" in text
    assert "made the change" in text  # ro_agent wrote it
    assert not OutboundMessage.objects.exists() and not NotificationTrace.objects.exists()
    missing = root.get(url, {"ticket": "999", "event": "AddNote"})
    assert missing.status_code == 400 and "There is no ticket" in missing.content.decode()


def test_the_trace_is_listed_in_the_admin(root, team, committed):
    my_queue(team.ro, team.queue)
    with committed:
        ticket = factories.ticket(team.queue)
    page = root.get(reverse("admin:tickets_notificationtrace_changelist")).content.decode()
    assert ticket.number in page and "ro_agent" in page


def test_a_lock_timeout_event_is_traced_for_the_owner(team, committed):
    ticket = factories.ticket(team.queue, owner=team.rw)
    with committed:
        events.record(
            TicketEvent.TICKET_LOCK_TIMEOUT, ticket_id=ticket.pk, actor_id=factories.system().pk
        )
    trace = NotificationTrace.objects.get(ticket_id=ticket.pk)
    assert (trace.notification.key, trace.recipient, trace.outcome) == (
        "lock_timeout",
        "rw_agent",
        "sent",
    )
    assert notifications.label(trace.notification) == "The lock of a ticket I own timed out"
