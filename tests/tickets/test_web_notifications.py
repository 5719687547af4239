"""In-app notifications (OTRS's Web transport, issue 15): a notification may go by mail, in
the agent portal, or both; the bell and the list show an agent only what they may still read,
opening one marks it read, marking read works without JavaScript, a redelivery shows nothing
twice, and the pages cost a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from tests import factories
from tests.tickets import test_notifications as base
from tests.tickets.test_notifications import agent, mails, my_queue
from tickets import actions, notifications
from tickets.automation import notification_yaml
from tickets.automation.notification_forms import TicketNotificationForm
from tickets.automation.notification_yaml import export_notifications
from tickets.choices import HistoryType
from tickets.models import (
    NotificationSkip,
    NotificationTrace,
    TicketHistory,
    TicketNotification,
    WebNotification,
)
from tickets.tasks import cleanup_web_notifications

pytestmark = pytest.mark.django_db

committed = base.committed
team = base.team


def transports(key: str, *names: str) -> None:
    TicketNotification.objects.filter(key=key).update(transports=list(names))


def bell_count(client) -> str:
    """The number the bell shows on the dashboard ("" when hidden)."""
    page = client.get(reverse("agent:dashboard")).content.decode()
    start = page.index('data-counter="notifications"')
    tag_end = page.index(">", start)
    hidden = " hidden" in page[start:tag_end]
    return "" if hidden else page[tag_end + 1 : page.index("<", tag_end)]


@pytest.fixture
def shown(team, committed):
    """New tickets are shown to ro_agent in the portal (no mail)."""
    transports("new_ticket", "web")
    my_queue(team.ro, team.queue)
    return team


def test_both_transports_mail_and_show_the_same_text(team, committed):
    transports("new_ticket", "email", "web")
    my_queue(team.ro, team.queue)

    with committed:
        ticket = factories.ticket(team.queue, title="Toner")

    message = mails()["ro_agent@example.com"]
    item = WebNotification.objects.get(user=team.ro)
    assert (item.ticket, item.subject) == (ticket, message.subject)
    assert item.subject == f"[Ticket#{ticket.number}] New ticket: Toner"
    assert "A new ticket was opened in queue Support." in item.body
    assert item.read_at is None and item.need == "ro"
    entry = TicketHistory.objects.get(
        ticket=ticket, history_type=HistoryType.SEND_AGENT_NOTIFICATION
    )
    assert entry.extra["transports"] == ["email", "web"]


def test_in_app_only_sends_no_mail_and_reaches_an_agent_without_address(team, committed):
    transports("new_ticket", "web")
    nomail = agent("nomail", email=False)
    factories.grant(nomail, team.group, factories.RO)
    my_queue(nomail, team.queue)
    my_queue(team.ro, team.queue)

    with committed:
        factories.ticket(team.queue)

    assert mails() == {}
    assert set(WebNotification.objects.values_list("user__username", flat=True)) == {
        "nomail",
        "ro_agent",
    }
    # With mail only, the agent without an address is skipped, as before.
    transports("new_ticket", "email")
    with committed:
        ticket = factories.ticket(team.queue)
    trace = NotificationTrace.objects.get(ticket_id=ticket.pk, recipient="nomail")
    assert trace.reason == NotificationSkip.NO_ADDRESS


def test_the_rules_of_who_is_told_are_the_same_as_for_mail(shown, committed):
    # The actor, agents who may not read the ticket and those who switched it off.
    my_queue(shown.outsider, shown.queue)
    my_queue(shown.rw, shown.queue)
    shown.ro.notification_preferences = {"new_ticket": False}
    shown.ro.save()

    with committed:
        factories.ticket(shown.queue, actor=shown.rw)

    assert not WebNotification.objects.exists()
    with committed:
        factories.ticket(shown.queue)
    assert list(WebNotification.objects.values_list("user__username", flat=True)) == ["rw_agent"]


def test_a_redelivered_event_shows_nothing_twice(shown):
    ticket = factories.ticket(shown.queue)
    system = factories.system()
    WebNotification.objects.all().delete()

    for _attempt in range(2):
        notifications.notify("TicketCreate", ticket_id=ticket.pk, actor_id=system.pk, key="d:1")

    assert WebNotification.objects.filter(user=shown.ro).count() == 1
    assert NotificationTrace.objects.filter(ticket_id=ticket.pk, recipient="ro_agent").count() == 1


def test_the_bell_counts_unread_and_the_list_shows_them(client, shown, committed):
    with committed:
        first = factories.ticket(shown.queue, title="First")
        factories.ticket(shown.queue, title="Second")
    client.force_login(shown.ro)

    assert bell_count(client) == "2"
    page = client.get(reverse("agent:notifications")).content.decode()
    assert page.count('class="notification unread"') == 2
    assert "New ticket: First" in page and "New ticket: Second" in page

    response = client.post(reverse("agent:notification_open", args=[_item(first).pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("agent:zoom", args=[first.pk])
    assert _item(first).read_at is not None
    assert bell_count(client) == "1"
    unread = client.get(reverse("agent:notifications")).content.decode()
    assert "New ticket: First" not in unread
    everything = client.get(reverse("agent:notifications"), {"show": "all"}).content.decode()
    assert "New ticket: First" in everything and everything.count("notification unread") == 1


def _item(ticket) -> WebNotification:
    return WebNotification.objects.get(ticket=ticket)


def test_a_ticket_the_agent_may_no_longer_read_disappears(client, shown, committed):
    with committed:
        ticket = factories.ticket(shown.queue, title="Secret soon")
    item = _item(ticket)
    elsewhere = factories.queue("Elsewhere", group_=factories.group("elsewhere"))
    actions.move_ticket(ticket, elsewhere, actor=factories.system())
    client.force_login(shown.ro)

    assert bell_count(client) == ""
    assert "Secret soon" not in client.get(reverse("agent:notifications")).content.decode()
    assert client.post(reverse("agent:notification_open", args=[item.pk])).status_code == 404
    assert _item(ticket).read_at is None
    # Given read access there, the agent sees it again.
    factories.grant(shown.ro, elsewhere.group, factories.RO)
    assert bell_count(client) == "1"


def test_someone_elses_notification_looks_missing_and_stays_unread(client, shown, committed):
    with committed:
        ticket = factories.ticket(shown.queue)
    item = _item(ticket)
    client.force_login(shown.rw)  # may read the ticket, but it is not theirs

    assert client.post(reverse("agent:notification_open", args=[item.pk])).status_code == 404
    assert client.post(reverse("agent:notification_open", args=[10**12])).status_code == 404
    client.post(reverse("agent:notifications_read"), {"ids": [item.pk]})
    client.post(reverse("agent:notifications_read"), {"all": "1"})
    assert _item(ticket).read_at is None
    assert bell_count(client) == ""


def test_mark_ticked_read_and_mark_all_read(client, shown, committed):
    with committed:
        tickets = [factories.ticket(shown.queue, title=f"T{n}") for n in range(3)]
    client.force_login(shown.ro)
    url = reverse("agent:notifications_read")

    response = client.post(url, {"ids": [_item(tickets[0]).pk], "next": "/agent/?x=1"}, follow=True)
    assert response.redirect_chain[-1][0] == "/agent/?x=1"
    assert "1 notification marked read." in response.content.decode()
    assert bell_count(client) == "2"

    response = client.post(url, {"all": "1", "next": "https://evil.example/"})
    assert response["Location"] == reverse("agent:notifications")
    assert bell_count(client) == ""
    assert not WebNotification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize("data", [{}, {"ids": ["x"]}, {"ids": ["1", "-2"]}])
def test_mark_read_refuses_bad_input_and_changes_nothing(client, shown, committed, data):
    with committed:
        factories.ticket(shown.queue)
    client.force_login(shown.ro)

    response = client.post(reverse("agent:notifications_read"), data, follow=True)

    assert response.status_code == 200
    assert "Choose the notifications to mark read." in response.content.decode()
    assert WebNotification.objects.get().read_at is None


def test_every_post_needs_the_csrf_token_and_agents_only(shown, committed):
    with committed:
        ticket = factories.ticket(shown.queue)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(shown.ro)
    assert strict.post(reverse("agent:notifications_read"), {"all": "1"}).status_code == 403
    open_url = reverse("agent:notification_open", args=[_item(ticket).pk])
    assert strict.post(open_url).status_code == 403
    assert strict.get(open_url).status_code == 405
    assert _item(ticket).read_at is None
    customer = Client()
    customer.force_login(factories.customer())
    assert customer.get(reverse("agent:notifications")).status_code == 403


def test_the_live_counters_carry_the_bells_number(client, shown, committed):
    with committed:
        factories.ticket(shown.queue)
    client.force_login(shown.ro)
    assert client.get(reverse("agent:counters")).json()["totals"]["notifications"] == 1


def test_a_note_notification_needs_only_the_note_permission(team, committed):
    note = TicketNotification.objects.get(key="new_note")
    note.recipients, note.transports = ["my_queues"], ["web"]
    note.save()
    noter = agent("noter")
    factories.grant(noter, team.group, factories.PermissionKey.NOTE)
    my_queue(noter, team.queue)
    ticket = factories.ticket(team.queue)

    with committed:
        factories.note(ticket, actor=team.rw, body="Ordered a new fuser.")

    item = WebNotification.objects.get(user=noter)
    assert item.need == "note"
    client = Client()
    client.force_login(noter)
    assert bell_count(client) == "1"
    # The same agent is not shown a notification made for reading the ticket.
    WebNotification.objects.filter(pk=item.pk).update(need="ro")
    assert bell_count(client) == ""


# --- query counts ------------------------------------------------------------------------------


def _queries(client, url) -> int:
    client.get(url)  # what the first request of a process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_and_the_bell_cost_the_same_whatever_the_number(client, shown):
    system = factories.system()
    tickets = [factories.ticket(shown.queue, title=f"Many {n}") for n in range(3)]
    client.force_login(shown.ro)

    def pages_with(count: int) -> tuple[int, int]:
        for n in range(count - WebNotification.objects.count()):
            ticket = tickets[n % len(tickets)]
            notifications.notify("TicketCreate", ticket_id=ticket.pk, actor_id=system.pk)
        list_page = _queries(client, reverse("agent:notifications"))
        return list_page, _queries(client, reverse("agent:preferences"))

    few, more, many = pages_with(2), pages_with(60), pages_with(130)
    assert WebNotification.objects.count() == 130
    # Any page of the shell: the bell is one query, whatever the number.
    assert few[1] == more[1] == many[1]
    # The list: session, user, grants (2), the bell's count and the page's rows; with a
    # second page, its count.
    assert (few[0], more[0], many[0]) == (6, 7, 7)


# --- the admin's form and YAML -----------------------------------------------------------------


def _entry(**fields) -> dict:
    return {
        "name": "Prio in the portal",
        "key": "prio-web",
        "events": ["TicketPriorityUpdate"],
        "recipients": ["owner"],
        "texts": {"en": {"subject": "Prio <OTRS_TICKET_Title>", "body": "Prio."}},
        **fields,
    }


def _import(**fields):
    return notification_yaml.import_notifications(
        yaml.safe_dump({"format": 1, "notifications": [_entry(**fields)]})
    )


def test_yaml_carries_the_transports_and_reads_the_older_single_transport():
    _import(transports=["web", "email"])
    made = TicketNotification.objects.get(key="prio-web")
    assert sorted(made.transports) == ["email", "web"]
    exported = yaml.safe_load(export_notifications([made]))["notifications"][0]
    assert sorted(exported["transports"]) == ["email", "web"]
    assert "transport" not in exported

    made.delete()
    _import(transport="email")  # a file exported before in-app notifications
    assert TicketNotification.objects.get(key="prio-web").transports == ["email"]


@pytest.mark.parametrize(
    ("transports", "message"),
    [(["pigeon"], "Select a valid choice"), ([], "This field is required.")],
)
def test_the_transports_must_be_known_and_at_least_one(transports, message):
    with pytest.raises(notification_yaml.ValidationError) as refused:
        _import(transports=transports)
    assert any(message in m and "transports" in m for m in refused.value.messages)
    assert not TicketNotification.objects.filter(key="prio-web").exists()


def test_the_admin_form_offers_both_transports():
    form = TicketNotificationForm()
    assert [value for value, _label in form.fields["transports"].choices] == ["email", "web"]
    assert "in the agent portal" in str(form["transports"])


def test_the_daily_cleanup_deletes_only_notifications_read_long_ago(shown, committed):
    with committed:
        tickets = [factories.ticket(shown.queue) for _n in range(3)]
    old, recent, unread = (_item(t) for t in tickets)
    long_ago = timezone.now() - timedelta(days=31)
    WebNotification.objects.filter(pk=old.pk).update(read_at=long_ago)
    WebNotification.objects.filter(pk=recent.pk).update(read_at=timezone.now())
    WebNotification.objects.filter(pk=unread.pk).update(created_at=long_ago)

    assert cleanup_web_notifications() == 1
    assert cleanup_web_notifications() == 0
    assert set(WebNotification.objects.values_list("pk", flat=True)) == {recent.pk, unread.pk}
    assert PeriodicTask.objects.get(task="tickets.tasks.cleanup_web_notifications").enabled
