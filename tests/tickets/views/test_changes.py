"""The per-ticket action screens, first half: note, phone calls, close, pending, move, owner,
responsible, priority, lock/unlock, watch/unwatch (tickets.views.changes).

Every screen is checked the same way through the CASES table: allowed with its key (and the
history row it writes, with raw values), refused without it with the missing ticket's 404,
CSRF, the agents-only gate, and edit conflicts. Screen-specific rules follow the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from otrs.accounts.models import User
from otrs.permissions import PermissionKey as Key
from tests import factories
from tickets import actions
from tickets.actions import ticket_version as version
from tickets.choices import Channel, HistoryType, LockState, SenderType
from tickets.models import Article, Attachment, Ticket, TicketHistory, TicketWatcher

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
NON_RW_KEYS = [k for k in Key if k != Key.RW]


# --- the world and helpers ----------------------------------------------------------------------


@dataclass
class World:
    support: object
    ticket: Ticket
    target: object  # a second queue, in its own group
    candidate: User  # may own tickets in Support

    @property
    def bob(self) -> User:
        """Another agent, with rw on Support, who changes tickets behind our back."""
        return self.support.rw


@pytest.fixture
def world(support) -> World:
    target = factories.queue("Target", group_=factories.group("target"))
    ticket = factories.ticket(support.queue, customer_user="carol@example.com")
    candidate = agent_with(support.group, Key.OWNER, username="candy")
    return World(support=support, ticket=ticket, target=target, candidate=candidate)


def agent_with(group, *keys, username: str | None = None, **extra) -> User:
    agent = factories.agent(username, **extra)
    factories.grant(agent, group, *keys)
    return factories.refetch(agent)


def agent_lacking(group, need: str) -> User:
    """Every key on ``group`` but ``need`` (and rw)."""
    return agent_with(group, *[k for k in NON_RW_KEYS if k != need])


def url(name: str, pk: int) -> str:
    return reverse(f"agent:{name}", args=[pk])


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def mark() -> int:
    return TicketHistory.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def written_since(since: int) -> list[tuple[str, str, str]]:
    return list(
        TicketHistory.objects.filter(pk__gt=since)
        .order_by("pk")
        .values_list("history_type", "old_value", "new_value")
    )


def last_article() -> Article:
    return Article.objects.order_by("-pk").first()


def seen_of(response) -> str:
    return response.context["form"]["seen"].value()


# A pending time as an agent in the site's time zone types it, and the instant it means.
PENDING_TYPED = "2099-06-01T12:30"


def pending_instant() -> datetime:
    return datetime(2099, 6, 1, 12, 30, tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)


def text(response) -> str:
    return response.content.decode()


# --- the table of screens -----------------------------------------------------------------------


def _nothing(world, agent):
    return None


@dataclass(frozen=True)
class Case:
    name: str
    key: str
    data: Callable[[World, User], dict]
    # The history row the action writes: (type, old, new), computed after the request.
    expect: Callable[[World, User], tuple[str, str, str]]
    prepare: Callable[[World, User], object] = _nothing
    post_only: bool = False
    extra_keys: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def _pending_data(world, agent):
    return {"state": factories.state("pending reminder").pk, "pending_until": PENDING_TYPED}


def _pending_expect(world, agent):
    return (HistoryType.SET_PENDING_TIME, "", pending_instant().isoformat())


def _grant_target(world, agent):
    factories.grant(agent, world.target.group, Key.MOVE_INTO)


CASES = [
    Case(
        "note",
        Key.NOTE,
        lambda w, a: {"subject": "Called", "body": "Spoke to Carol."},
        lambda w, a: (HistoryType.ADD_NOTE, "", str(last_article().pk)),
    ),
    Case(
        "phone_inbound",
        Key.RW,
        lambda w, a: {"subject": "Carol called", "body": "The printer smokes again."},
        lambda w, a: (HistoryType.PHONE_CALL_CUSTOMER, "", str(last_article().pk)),
    ),
    Case(
        "phone_outbound",
        Key.RW,
        lambda w, a: {"subject": "Called Carol", "body": "Told her to unplug it."},
        lambda w, a: (HistoryType.PHONE_CALL_AGENT, "", str(last_article().pk)),
    ),
    Case(
        "close",
        Key.RW,
        lambda w, a: {"state": factories.state("closed successful").pk},
        lambda w, a: (
            HistoryType.STATE_UPDATE,
            str(factories.state("new").pk),
            str(factories.state("closed successful").pk),
        ),
    ),
    Case("pending", Key.RW, _pending_data, _pending_expect),
    Case(
        "move",
        Key.MOVE_INTO,
        lambda w, a: {"queue": w.target.pk},
        lambda w, a: (HistoryType.MOVE, str(w.support.queue.pk), str(w.target.pk)),
        prepare=_grant_target,
    ),
    Case(
        "owner",
        Key.OWNER,
        lambda w, a: {"owner": w.candidate.pk},
        lambda w, a: (
            HistoryType.OWNER_UPDATE,
            str(factories.system().pk),
            str(w.candidate.pk),
        ),
    ),
    Case(
        "responsible_change",
        Key.RW,
        lambda w, a: {"responsible": w.support.ro.pk},
        lambda w, a: (
            HistoryType.RESPONSIBLE_UPDATE,
            str(factories.system().pk),
            str(w.support.ro.pk),
        ),
    ),
    Case(
        "priority",
        Key.PRIORITY,
        lambda w, a: {"priority": factories.priority(5).pk},
        lambda w, a: (
            HistoryType.PRIORITY_UPDATE,
            str(factories.priority(3).pk),
            str(factories.priority(5).pk),
        ),
    ),
    Case(
        "lock",
        Key.RW,
        lambda w, a: {},
        lambda w, a: (HistoryType.LOCK, LockState.UNLOCK, LockState.LOCK),
        post_only=True,
    ),
    Case(
        "unlock",
        Key.RW,
        lambda w, a: {},
        lambda w, a: (HistoryType.UNLOCK, LockState.LOCK, LockState.UNLOCK),
        prepare=lambda w, a: actions.lock_ticket(w.ticket, actor=a),
        post_only=True,
    ),
    Case(
        "watch",
        Key.RO,
        lambda w, a: {},
        lambda w, a: (HistoryType.SUBSCRIBE, "", str(a.pk)),
        post_only=True,
    ),
    Case(
        "unwatch",
        Key.RO,
        lambda w, a: {},
        lambda w, a: (HistoryType.UNSUBSCRIBE, str(a.pk), ""),
        prepare=lambda w, a: actions.watch_ticket(w.ticket, actor=a),
        post_only=True,
    ),
]
FORM_CASES = [c for c in CASES if not c.post_only]
# Changes that add and overwrite nothing: never refused as edit conflicts.
ADDITIVE = {"note", "phone_inbound", "phone_outbound", "watch", "unwatch"}
OVERWRITING_CASES = [c for c in CASES if c.name not in ADDITIVE]
ADDITIVE_CASES = [c for c in CASES if c.name in ADDITIVE]


def submit(client, case: Case, world: World, agent: User, **overrides):
    """POST the case's data with the version of the ticket as it is now."""
    data = {"seen": version(fresh(world.ticket)), **case.data(world, agent), **overrides}
    return client.post(url(case.name, world.ticket.pk), data)


# --- every screen -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=str)
def test_it_acts_with_the_right_key_and_writes_history(client, world, case):
    agent = agent_with(world.support.group, case.key)
    case.prepare(world, agent)
    client.force_login(agent)
    if not case.post_only:
        assert client.get(url(case.name, world.ticket.pk)).status_code == 200
    since = mark()

    response = submit(client, case, world, agent)

    assert response.status_code == 302, text(response)
    assert response.url in (url("zoom", world.ticket.pk), reverse("agent:dashboard"))
    assert case.expect(world, agent) in written_since(since)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_it_refuses_without_the_key_like_a_missing_ticket(client, world, case):
    agent = agent_lacking(world.support.group, case.key)
    client.force_login(agent)
    before = factories.snapshot()
    missing = url(case.name, 999_999)

    for method in ("post",) if case.post_only else ("get", "post"):
        refused = getattr(client, method)(url(case.name, world.ticket.pk), case.data(world, agent))
        absent = getattr(client, method)(missing, case.data(world, agent))
        assert refused.status_code == absent.status_code == 404
        assert refused.content == absent.content
    assert factories.snapshot() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_it_enforces_csrf(world, case):
    agent = agent_with(world.support.group, case.key)
    case.prepare(world, agent)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    before = factories.snapshot()

    assert submit(client, case, world, agent).status_code == 403
    assert factories.snapshot() == before


@pytest.mark.parametrize("case", CASES, ids=str)
def test_it_admits_agents_only(client, world, case):
    target = url(case.name, world.ticket.pk)
    response = client.post(target, case.data(world, world.bob))
    assert response.status_code == 302
    assert response.url.startswith(f"/agent/login/?next={target}")

    client.force_login(factories.customer())
    response = client.post(target, case.data(world, world.bob))
    assert response.status_code == 403
    assert "Agents only" in text(response)


@pytest.mark.parametrize("case", [c for c in CASES if c.post_only], ids=str)
def test_it_takes_no_get_for_post_only_screens(client, world, case):
    client.force_login(agent_with(world.support.group, case.key))
    assert client.get(url(case.name, world.ticket.pk)).status_code == 405


@pytest.mark.parametrize("case", OVERWRITING_CASES, ids=str)
def test_it_shows_an_edit_conflict_then_applies_on_the_second_submit(client, world, case):
    agent = agent_with(world.support.group, case.key)
    case.prepare(world, agent)
    client.force_login(agent)
    if case.post_only:
        seen = version(fresh(world.ticket))  # what the zoom's button carries
    else:
        seen = seen_of(client.get(url(case.name, world.ticket.pk)))
    actions.set_title(world.ticket, "Renamed by Bob", actor=world.bob)
    before = factories.snapshot()

    data = {**case.data(world, agent), "seen": seen}
    conflict = client.post(url(case.name, world.ticket.pk), data)

    assert conflict.status_code == 409
    assert "Renamed by Bob" in text(conflict)
    assert "changed since you opened it" in text(conflict)
    assert factories.snapshot() == before

    since = mark()
    again = client.post(url(case.name, world.ticket.pk), {**data, "seen": seen_of(conflict)})
    assert again.status_code == 302, text(again)
    assert case.expect(world, agent) in written_since(since)


@pytest.mark.parametrize("case", ADDITIVE_CASES, ids=str)
def test_it_applies_an_additive_change_on_a_ticket_changed_since(client, world, case):
    """A note, a call or watching overwrites nothing: others' changes since the form was
    opened are no edit conflict."""
    agent = agent_with(world.support.group, case.key)
    case.prepare(world, agent)
    client.force_login(agent)
    stale = version(fresh(world.ticket))
    actions.set_title(world.ticket, "Renamed by Bob", actor=world.bob)
    factories.note(world.ticket, actor=world.bob)
    since = mark()

    response = client.post(
        url(case.name, world.ticket.pk), {**case.data(world, agent), "seen": stale}
    )

    assert response.status_code == 302, text(response)
    assert case.expect(world, agent) in written_since(since)


@pytest.mark.parametrize("case", FORM_CASES, ids=str)
def test_it_escapes_the_ticket_title_on_the_form(client, world, case):
    actions.set_title(world.ticket, XSS, actor=world.bob)
    agent = agent_with(world.support.group, case.key)
    case.prepare(world, agent)
    client.force_login(agent)

    page = text(client.get(url(case.name, world.ticket.pk)))

    assert XSS not in page
    assert XSS_ESCAPED in page


# --- note and phone calls ----------------------------------------------------------------------


def test_it_adds_an_internal_note_or_a_visible_one(client, world):
    agent = agent_with(world.support.group, Key.NOTE)
    client.force_login(agent)
    note = next(c for c in CASES if c.name == "note")

    submit(client, note, world, agent)
    internal = last_article()
    submit(client, note, world, agent, visible_for_customer="on")
    visible = last_article()

    assert (internal.channel, internal.sender_type) == (Channel.INTERNAL, SenderType.AGENT)
    assert (internal.subject, internal.body) == ("Called", "Spoke to Carol.")
    assert not internal.is_visible_for_customer
    assert visible.is_visible_for_customer


def test_it_records_who_called_whom(client, world):
    client.force_login(world.bob)
    cases = {c.name: c for c in CASES}

    submit(client, cases["phone_inbound"], world, world.bob, subject="")
    inbound = last_article()
    submit(client, cases["phone_outbound"], world, world.bob)
    outbound = last_article()

    assert (inbound.channel, inbound.sender_type) == (Channel.PHONE, SenderType.CUSTOMER)
    assert inbound.from_address == "carol@example.com"
    assert inbound.subject == world.ticket.title  # an empty subject takes the title
    assert (outbound.channel, outbound.sender_type) == (Channel.PHONE, SenderType.AGENT)
    assert outbound.to_address == "carol@example.com"
    assert inbound.is_visible_for_customer and outbound.is_visible_for_customer


def test_it_stores_the_attachments_of_a_note(client, world, settings):
    settings.ATTACHMENT_STORAGE = "db"
    agent = agent_with(world.support.group, Key.NOTE)
    client.force_login(agent)
    files = [
        SimpleUploadedFile("report.pdf", b"%PDF-1.4 fake", content_type="application/pdf"),
        SimpleUploadedFile("notes.txt", b"line one\n", content_type="text/plain"),
    ]

    response = client.post(
        url("note", world.ticket.pk),
        {"seen": version(world.ticket), "body": "See attached.", "attachments": files},
    )

    assert response.status_code == 302
    stored = Attachment.objects.filter(article=last_article()).order_by("pk")
    assert [(a.filename, a.content_type, a.read()) for a in stored] == [
        ("report.pdf", "application/pdf", b"%PDF-1.4 fake"),
        ("notes.txt", "text/plain", b"line one\n"),
    ]


def test_it_refuses_a_file_over_the_limit_and_escapes_what_it_shows_again(client, world, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 10
    client.force_login(agent_with(world.support.group, Key.NOTE))
    before = factories.snapshot()

    response = client.post(
        url("note", world.ticket.pk),
        {
            "seen": version(world.ticket),
            "body": XSS,
            "attachments": [SimpleUploadedFile(f"{XSS}.bin", b"more than ten bytes")],
        },
    )

    assert response.status_code == 400
    page = text(response)
    assert "a file may be at most 10" in page
    assert XSS not in page
    assert "<img src=x" not in page
    assert XSS_ESCAPED in page  # the body, in its textarea
    # The upload's name (Django keeps what follows its last "/") in the error message.
    assert "“script&gt;&lt;img src=x onerror=alert(1)&gt;.bin”" in page
    assert factories.snapshot() == before


def test_it_escapes_a_changed_title_in_the_conflict_notice(client, world):
    client.force_login(agent_with(world.support.group, Key.PRIORITY))
    seen = seen_of(client.get(url("priority", world.ticket.pk)))
    actions.set_title(world.ticket, XSS, actor=world.bob)

    response = client.post(
        url("priority", world.ticket.pk), {"seen": seen, "priority": factories.priority(5).pk}
    )

    assert response.status_code == 409
    assert XSS not in text(response)
    assert XSS_ESCAPED in text(response)


def test_it_counts_a_missing_version_as_a_conflict(client, world):
    client.force_login(world.bob)
    response = client.post(url("lock", world.ticket.pk))
    assert response.status_code == 409  # the ticket was created by someone else
    assert fresh(world.ticket).lock == LockState.UNLOCK


# --- close, pending and the required lock -------------------------------------------------------


def test_it_closes_with_a_note_locking_first_and_unlocking_at_the_end(client, world):
    client.force_login(world.bob)
    since = mark()

    response = submit(
        client,
        next(c for c in CASES if c.name == "close"),
        world,
        world.bob,
        state=factories.state("closed unsuccessful").pk,
        note="Nothing more to do.",
    )

    assert response.status_code == 302
    ticket = fresh(world.ticket)
    assert ticket.state.name == "closed unsuccessful"
    assert (ticket.lock, ticket.owner_id) == (LockState.UNLOCK, world.bob.pk)
    types = [row[0] for row in written_since(since)]
    assert types.index(HistoryType.LOCK) < types.index(HistoryType.ADD_NOTE)
    assert types.index(HistoryType.ADD_NOTE) < types.index(HistoryType.STATE_UPDATE)
    assert types[-1] == HistoryType.UNLOCK
    assert last_article().body == "Nothing more to do."
    assert not last_article().is_visible_for_customer


def test_it_offers_only_closed_states_for_closing(client, world):
    client.force_login(world.bob)
    before = factories.snapshot()
    response = submit(
        client,
        next(c for c in CASES if c.name == "close"),
        world,
        world.bob,
        state=factories.state("open").pk,
    )
    assert response.status_code == 400
    assert factories.snapshot() == before


def test_it_rolls_back_the_note_and_the_lock_when_the_change_is_refused(client, world):
    # A merged ticket cannot be closed: the lock and the note, already written in the same
    # transaction, must go too.
    main = factories.ticket(world.support.queue, title="Main")
    actions.merge_tickets(world.ticket, main, actor=world.bob)
    client.force_login(world.bob)
    before = factories.snapshot()

    response = submit(
        client,
        next(c for c in CASES if c.name == "close"),
        world,
        world.bob,
        note="Closing the merged one.",
    )

    assert response.status_code == 400
    assert "is merged" in text(response)
    assert factories.snapshot() == before


def test_it_locks_an_unlocked_ticket_for_an_agent_who_may_own_it(client, world):
    client.force_login(world.bob)
    submit(client, next(c for c in CASES if c.name == "priority"), world, world.bob)
    ticket = fresh(world.ticket)
    assert (ticket.lock, ticket.owner_id, ticket.priority.level) == (
        LockState.LOCK,
        world.bob.pk,
        5,
    )


def test_it_changes_without_locking_for_an_agent_acting_by_a_narrower_key(client, world):
    agent = agent_with(world.support.group, Key.PRIORITY)
    client.force_login(agent)
    submit(client, next(c for c in CASES if c.name == "priority"), world, agent)
    ticket = fresh(world.ticket)
    assert (ticket.lock, ticket.priority.level) == (LockState.UNLOCK, 5)


def test_it_reads_the_pending_time_in_the_agents_time_zone(client, world):
    agent = agent_with(world.support.group, Key.RW, time_zone="Europe/Berlin")
    client.force_login(agent)
    pending = factories.state("pending auto close+")

    response = client.post(
        url("pending", world.ticket.pk),
        {"seen": version(world.ticket), "state": pending.pk, "pending_until": "2099-01-15T10:00"},
    )

    assert response.status_code == 302
    ticket = fresh(world.ticket)
    assert ticket.state == pending
    assert ticket.pending_until == datetime(2099, 1, 15, 9, 0, tzinfo=UTC)
    # And shows it back in that zone.
    page = text(client.get(url("pending", world.ticket.pk)))
    assert 'value="2099-01-15T10:00"' in page


def test_it_refuses_a_pending_time_in_the_past(client, world):
    client.force_login(world.bob)
    before = factories.snapshot()
    past = (timezone.now() - timedelta(hours=1)).astimezone(ZoneInfo(settings.TIME_ZONE))

    response = submit(
        client,
        next(c for c in CASES if c.name == "pending"),
        world,
        world.bob,
        pending_until=past.strftime("%Y-%m-%dT%H:%M"),
    )

    assert response.status_code == 400
    assert "must be in the future" in text(response)
    assert factories.snapshot() == before


def test_it_refuses_a_pending_state_without_a_time_and_writes_nothing(client, world):
    client.force_login(world.bob)
    before = factories.snapshot()

    response = submit(
        client, next(c for c in CASES if c.name == "pending"), world, world.bob, pending_until=""
    )

    assert response.status_code == 400
    assert "needs a pending time" in text(response)
    # Not even the lock the screen takes first.
    assert factories.snapshot() == before


def test_it_says_who_holds_the_lock_when_locking_is_refused(client, world):
    actions.lock_ticket(world.ticket, actor=world.bob)
    agent = agent_with(world.support.group, Key.RW, username="dora")
    client.force_login(agent)
    before = factories.snapshot()

    response = submit(client, next(c for c in CASES if c.name == "lock"), world, agent)

    assert response.status_code == 400
    assert "is locked by rw_agent" in text(response)
    assert factories.snapshot() == before


# --- move, owner, responsible -------------------------------------------------------------------


def test_it_offers_only_queues_the_agent_may_move_into(client, world):
    agent = agent_with(world.support.group, Key.RW)
    factories.grant(agent, world.target.group, Key.MOVE_INTO)
    elsewhere = factories.queue("Elsewhere", group_=factories.group("elsewhere"))
    factories.grant(agent, elsewhere.group, Key.RO)
    client.force_login(agent)

    form = client.get(url("move", world.ticket.pk)).context["form"]
    assert list(form.fields["queue"].queryset) == [world.target]

    before = factories.snapshot()
    response = client.post(
        url("move", world.ticket.pk), {"seen": version(world.ticket), "queue": elsewhere.pk}
    )
    assert response.status_code == 400
    assert factories.snapshot() == before


def test_it_sends_an_agent_who_lost_sight_of_the_moved_ticket_to_the_dashboard(client, world):
    agent = agent_with(world.support.group, Key.MOVE_INTO)
    factories.grant(agent, world.target.group, Key.MOVE_INTO)
    client.force_login(agent)

    response = client.post(
        url("move", world.ticket.pk), {"seen": version(world.ticket), "queue": world.target.pk}
    )

    assert response.status_code == 302
    assert response.url == reverse("agent:dashboard")
    assert fresh(world.ticket).queue == world.target


def test_it_leaves_out_the_note_fields_for_an_agent_without_the_note_key(client, world):
    agent = agent_with(world.support.group, Key.MOVE_INTO)
    client.force_login(agent)
    form = client.get(url("move", world.ticket.pk)).context["form"]
    assert "note" not in form.fields


def test_it_offers_owners_with_the_owner_key_only(client, world):
    via_role = factories.agent("rolf")
    factories.role(members=[via_role], grants=[(world.support.group, Key.OWNER)])
    inactive = agent_with(world.support.group, Key.OWNER, is_active=False)
    client.force_login(world.bob)

    form = client.get(url("owner", world.ticket.pk)).context["form"]
    offered = set(form.fields["owner"].queryset)

    assert {world.candidate, via_role, world.bob} <= offered
    assert world.support.ro not in offered
    assert inactive not in offered
    before = factories.snapshot()
    response = client.post(
        url("owner", world.ticket.pk),
        {"seen": version(world.ticket), "owner": world.support.ro.pk},
    )
    assert response.status_code == 400
    assert factories.snapshot() == before


def test_it_adds_the_note_before_changing_the_owner(client, world):
    client.force_login(world.bob)
    since = mark()
    submit(
        client,
        next(c for c in CASES if c.name == "owner"),
        world,
        world.bob,
        note_subject="Handover",
        note="Candy takes it.",
    )
    types = [row[0] for row in written_since(since)]
    assert types[:2] == [HistoryType.ADD_NOTE, HistoryType.OWNER_UPDATE]
    assert last_article().subject == "Handover"
    assert fresh(world.ticket).owner == world.candidate


def test_it_offers_responsibles_who_may_read_the_queue(client, world):
    client.force_login(world.bob)
    form = client.get(url("responsible_change", world.ticket.pk)).context["form"]
    offered = set(form.fields["responsible"].queryset)
    assert {world.support.ro, world.bob} <= offered
    assert world.candidate not in offered  # may own, but not read
    assert world.support.outsider not in offered


def test_it_renders_the_owner_form_in_constant_queries(
    client, world, django_assert_max_num_queries
):
    for _n in range(15):
        agent_with(world.support.group, Key.OWNER)
    client.force_login(world.bob)
    # One of them reads the active ACL rules (then cached until a rule changes).
    with django_assert_max_num_queries(10):
        assert client.get(url("owner", world.ticket.pk)).status_code == 200


# --- lock, watch --------------------------------------------------------------------------------


def test_it_watches_and_unwatches(client, world):
    client.force_login(world.support.ro)
    cases = {c.name: c for c in CASES}

    submit(client, cases["watch"], world, world.support.ro)
    assert TicketWatcher.objects.filter(ticket=world.ticket, user=world.support.ro).exists()
    submit(client, cases["unwatch"], world, world.support.ro)
    assert not TicketWatcher.objects.filter(ticket=world.ticket).exists()


def test_it_shows_a_success_message_on_the_zoom(client, world):
    client.force_login(world.bob)
    response = submit(client, next(c for c in CASES if c.name == "lock"), world, world.bob)
    zoom = client.get(response.url)
    assert re.search(r"Ticket \d+ locked\.", text(zoom))
