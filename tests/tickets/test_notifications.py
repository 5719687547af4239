"""Agent notifications (spec 11): who gets which mail, in which language, and when not."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from otrs.events.models import DeliveryStatus, EventDelivery
from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tickets import actions, events, notifications
from tickets.choices import Channel, HistoryType, SenderType
from tickets.events import TicketEvent
from tickets.models import PersonalQueue, TicketHistory, TicketNotification

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block in a transaction and its after-commit work (events) at the end."""

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


def agent(username, *, email=True, **extra):
    extra.setdefault("first_name", username.capitalize())
    return factories.agent(username, email=f"{username}@example.com" if email else "", **extra)


@pytest.fixture
def team(support):
    """rw_agent and ro_agent read the queue (and have addresses now); outsider does not."""
    for user in (support.rw, support.ro, support.outsider):
        user.email = f"{user.username}@example.com"
        user.save()
    return support


def my_queue(user, queue):
    PersonalQueue.objects.create(user=user, queue=queue)


def mails() -> dict[str, OutboundMessage]:
    """The agent notifications queued, by recipient address."""
    found = OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION)
    return {m.recipients[0]: m for m in found}


def recipients() -> set[str]:
    return {address.split("@")[0] for address in mails()}


def body(message: OutboundMessage) -> str:
    content = message_from_bytes(bytes(message.raw), policy=default_policy).get_content()
    return content.replace("\r\n", "\n")


def follow_up(ticket, body_text="Still broken."):
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            subject="Re: printer",
            body=body_text,
            from_address="alice@example.com",
            is_visible_for_customer=True,
        ),
        actor=factories.system(),
    )


# --- new ticket (#1) ---------------------------------------------------------------------------


def test_it_tells_my_queues_agents_who_may_read_about_a_new_ticket(team, committed, settings):
    settings.SITE_URL = "https://desk.example.org"
    for user in (team.rw, team.ro, team.outsider):
        my_queue(user, team.queue)
    agent("bystander")  # reads nothing, has no personal queue

    with committed:
        ticket = factories.ticket(team.queue, body="Line 1\nLine 2", title="Printer on fire")

    assert recipients() == {"rw_agent", "ro_agent"}
    message = mails()["ro_agent@example.com"]
    assert message.subject == f"[Ticket#{ticket.number}] New ticket: Printer on fire"
    assert message.ticket_delivery.ticket_id == ticket.pk
    assert message.ticket_delivery.article_id is None
    parsed = message_from_bytes(bytes(message.raw), policy=default_policy)
    assert parsed["From"] == settings.NOTIFICATION_FROM
    assert parsed["To"] == "ro_agent@example.com"
    assert parsed["Auto-Submitted"] == "auto-generated"
    text = body(message)
    assert "Printer on fire" in text and "Support" in text
    assert "Line 1\nLine 2" in text
    assert f"https://desk.example.org/agent/tickets/{ticket.pk}/" in text
    # One history entry per recipient, raw values only; no article.
    entries = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.SEND_AGENT_NOTIFICATION
    )
    assert sorted(e.extra["login"] for e in entries) == ["ro_agent", "rw_agent"]
    assert {e.extra["notification"] for e in entries} == {"new_ticket"}
    assert all(e.article_id is None for e in entries)
    assert ticket.articles.count() == 1


def test_it_skips_the_actor_inactive_agents_agents_without_address_and_the_system(team, committed):
    inactive = agent("inactive", is_active=False)
    no_mail = agent("nomail", email=False)
    for user in (inactive, no_mail):
        factories.grant(user, team.group, factories.RO)
    for user in (team.rw, team.ro, inactive, no_mail, factories.system()):
        my_queue(user, team.queue)

    with committed:
        factories.ticket(team.queue, actor=team.rw)

    assert recipients() == {"ro_agent"}


def test_it_respects_the_agents_preference(team, committed):
    my_queue(team.rw, team.queue)
    my_queue(team.ro, team.queue)
    team.ro.notification_preferences = {"new_ticket": False, "new_note": True}
    team.ro.save()

    with committed:
        factories.ticket(team.queue)

    assert recipients() == {"rw_agent"}


def test_it_writes_in_the_agents_language(team, committed, monkeypatch):
    team.ro.language = "de"
    team.ro.save()
    my_queue(team.ro, team.queue)
    my_queue(team.rw, team.queue)
    languages = {}
    compose = notifications.compose

    def spy(subject, body_text, ctx, recipient, **kwargs):
        languages[recipient.username] = translation.get_language()
        return compose(subject, body_text, ctx, recipient, **kwargs)

    monkeypatch.setattr(notifications, "compose", spy)

    with committed:
        factories.ticket(team.queue)

    assert languages == {"ro_agent": "de", "rw_agent": "en"}
    german, english = body(mails()["ro_agent@example.com"]), body(mails()["rw_agent@example.com"])
    assert "Priorität:" in german and "Status: neu" in german
    assert "Priority:" in english and "State: new" in english


# --- follow-ups (#2, #3) -----------------------------------------------------------------------


@pytest.fixture
def cast(team):
    """A ticket owned by rw_agent, with ro_agent responsible, a watcher and a my-queues
    agent (all may read the queue)."""
    watcher = agent("watcher")
    fan = agent("fan")
    for user in (watcher, fan):
        factories.grant(user, team.group, factories.RO)
    my_queue(fan, team.queue)
    ticket = factories.ticket(team.queue, owner=team.rw, responsible=team.ro)
    actions.watch_ticket(ticket, actor=watcher)
    return ticket


def test_a_follow_up_on_an_unlocked_ticket_goes_to_owner_watchers_and_my_queues(cast, committed):
    with committed:
        follow_up(cast, "Still broken.\nReally.")

    assert recipients() == {"rw_agent", "watcher", "fan"}
    message = mails()["watcher@example.com"]
    assert message.subject.endswith("Follow-up: Printer on fire")
    assert "Still broken.\nReally." in body(message)


def test_a_follow_up_on_a_locked_ticket_goes_to_owner_responsible_and_watchers(
    cast, team, committed
):
    actions.lock_ticket(cast, actor=team.rw)

    with committed:
        follow_up(cast)

    assert recipients() == {"rw_agent", "ro_agent", "watcher"}
    assert (
        TicketHistory.objects.filter(
            history_type=HistoryType.SEND_AGENT_NOTIFICATION, extra__notification="follow_up_locked"
        ).count()
        == 3
    )


def test_a_watcher_who_lost_the_ticket_to_another_queue_still_reads_it(cast, team, committed):
    # Watching grants read access (tickets.access): the watcher stays a recipient.
    other = factories.group("other")
    queue = factories.queue("Elsewhere", group_=other)
    actions.move_ticket(cast, queue, actor=factories.system())

    with committed:
        follow_up(cast)

    assert "watcher" in recipients() and "fan" not in recipients()


# --- owner, responsible, lock timeout (#4-#6) --------------------------------------------------


def test_the_new_owner_is_told_unless_they_took_the_ticket_themselves(team, committed):
    ticket = factories.ticket(team.queue)
    admin = agent("boss")
    factories.grant(admin, team.group, factories.RW)

    with committed:
        actions.set_owner(ticket, team.rw, actor=admin)
    assert recipients() == {"rw_agent"}
    assert mails()["rw_agent@example.com"].subject.endswith(
        "You are the owner now: Printer on fire"
    )
    assert "Boss made you the owner" in body(mails()["rw_agent@example.com"])

    OutboundMessage.objects.all().delete()
    with committed:
        actions.lock_ticket(ticket, actor=admin)  # takes it: owner = actor
    assert recipients() == set()


def test_the_new_responsible_is_told(team, committed):
    ticket = factories.ticket(team.queue, owner=team.rw)

    with committed:
        actions.set_responsible(ticket, team.ro, actor=team.rw)

    assert recipients() == {"ro_agent"}
    assert "responsible_update" in TicketHistory.objects.filter(
        history_type=HistoryType.SEND_AGENT_NOTIFICATION
    ).values_list("extra__notification", flat=True)


def test_the_owner_hears_of_a_lock_timeout(team, committed):
    ticket = factories.ticket(team.queue, owner=team.rw)

    with committed:
        events.record(
            TicketEvent.TICKET_LOCK_TIMEOUT, ticket_id=ticket.pk, actor_id=factories.system().pk
        )

    assert recipients() == {"rw_agent"}
    assert mails()["rw_agent@example.com"].subject.endswith("Lock timed out: Printer on fire")


# --- notes (#7) and moves (#8) -----------------------------------------------------------------


def test_a_note_goes_to_owner_responsible_and_watchers_but_not_its_author(cast, team, committed):
    with committed:
        factories.note(cast, actor=team.ro, body="Ordered a new fuser.")

    assert recipients() == {"rw_agent", "watcher"}
    assert "Ordered a new fuser." in body(mails()["watcher@example.com"])
    assert "(internal: not visible to the customer)" in body(mails()["watcher@example.com"])


def test_note_permission_is_enough_for_a_note_but_not_for_other_notifications(team):
    ticket = factories.ticket(team.queue)
    noter = agent("noter")
    factories.grant(noter, team.group, factories.PermissionKey.NOTE)
    my_queue(noter, team.queue)
    note = TicketNotification.objects.get(key="new_note")
    note.recipients = ["my_queues"]
    other = TicketNotification.objects.get(key="new_ticket")

    def told(notification, event, data):
        ctx = notifications.context(ticket, event, actor_id=None, data=data)
        return [p.recipient for p in notifications.plan(notification, ctx) if not p.skip]

    assert told(note, "ArticleCreate", {"history_type": "AddNote"}) == ["noter"]
    assert told(other, "TicketCreate", {}) == []


def test_a_move_tells_the_agents_of_the_new_queue(team, committed):
    sales = factories.group("sales")
    queue = factories.queue("Sales", group_=sales)
    seller = agent("seller")
    factories.grant(seller, sales, factories.RO)
    factories.grant(team.rw, sales, factories.PermissionKey.MOVE_INTO)
    my_queue(seller, queue)
    my_queue(team.ro, queue)  # may not read Sales
    ticket = factories.ticket(team.queue)

    with committed:
        actions.move_ticket(ticket, queue, actor=team.rw)

    assert recipients() == {"seller"}
    assert mails()["seller@example.com"].subject.endswith("Moved to Sales: Printer on fire")


# --- no mail -----------------------------------------------------------------------------------


def test_it_sends_nothing_when_the_transaction_rolls_back(team, committed):
    my_queue(team.ro, team.queue)

    with pytest.raises(RuntimeError), committed:
        factories.ticket(team.queue)
        raise RuntimeError("rolled back")

    assert not OutboundMessage.objects.exists()


def test_it_sends_nothing_while_muted(team, committed):
    my_queue(team.ro, team.queue)

    with notifications.muted(), committed:
        factories.ticket(team.queue)

    assert not OutboundMessage.objects.exists()
    with committed:
        factories.ticket(team.queue)
    assert recipients() == {"ro_agent"}


def test_a_failing_notification_is_tried_again_and_does_not_stop_other_handlers(
    team, committed, monkeypatch, event_handlers
):
    my_queue(team.ro, team.queue)
    seen = []

    def boom(*args, **kwargs):
        raise RuntimeError("mail server on fire")

    event_handlers.subscribe(
        "tests.later", lambda batch: seen.extend(e.name for e in batch.events), events=None
    )
    monkeypatch.setattr(notifications, "notify", boom)
    with committed:
        factories.ticket(team.queue)

    assert "TicketCreate" in seen
    failed = EventDelivery.objects.get(handler=notifications.HANDLER)
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 1)
    assert "mail server on fire" in failed.last_error
    assert not OutboundMessage.objects.exists()


def test_it_ignores_other_events_and_missing_tickets(team):
    ticket = factories.ticket(team.queue, owner=team.rw)
    assert notifications.notify("TicketPriorityUpdate", ticket_id=ticket.pk, actor_id=1) == []
    assert notifications.notify("TicketCreate", ticket_id=10**9, actor_id=1) == []
    assert not OutboundMessage.objects.exists()


# --- query count -------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_agents_beyond_four_inserts_each(team):
    ticket = factories.ticket(team.queue)
    system = factories.system()

    def queries_for(count: int) -> int:
        OutboundMessage.objects.all().delete()
        PersonalQueue.objects.all().delete()
        for index in range(count):
            user = agent(f"fan{count}_{index}")
            factories.grant(user, team.group, factories.RO)
            my_queue(user, team.queue)
        with CaptureQueriesContext(connection) as queries:
            sent = notifications.notify("TicketCreate", ticket_id=ticket.pk, actor_id=system.pk)
        assert len(sent) == count
        return len(queries)

    two, six = queries_for(2), queries_for(6)
    # Per recipient: the queued message, its OutboundMessageQueued event, the history row,
    # and the queued message's link to the ticket (tickets.deliveries).
    assert six - two == 4 * 4


# --- preferences page --------------------------------------------------------------------------


def test_the_preferences_page_saves_notifications_and_my_queues(client, team):
    sales = factories.group("sales")
    hidden = factories.queue("Secret", group_=sales)
    client.force_login(team.ro)

    page = client.get("/agent/preferences/").content.decode()
    assert 'name="notify_new_ticket"' in page and "checked" in page
    assert "Support" in page and "Secret" not in page

    data = {
        "language": "",
        "time_zone": "",
        "rows_per_page": 25,
        "my_queues": [team.queue.pk],
        **{f"notify_{n.key}": "on" for n in notifications.choosable() if n.key != "new_note"},
    }
    assert client.post("/agent/preferences/", data).status_code == 302
    team.ro.refresh_from_db()
    assert team.ro.notification_preferences["new_note"] is False
    assert team.ro.notification_preferences["new_ticket"] is True
    assert list(PersonalQueue.objects.filter(user=team.ro).values_list("queue", flat=True)) == [
        team.queue.pk
    ]

    # A queue the agent may not read cannot be chosen; an empty choice clears the list.
    refused = client.post("/agent/preferences/", {**data, "my_queues": [hidden.pk]})
    assert refused.status_code == 200
    assert client.post("/agent/preferences/", {**data, "my_queues": []}).status_code == 302
    assert not PersonalQueue.objects.filter(user=team.ro).exists()
