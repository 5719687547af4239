"""Every action of tickets.actions: the change, its history row, its permission and rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from otrs.accounts.models import User
from otrs.errors import DomainError
from otrs.permissions import PermissionKey
from tests import factories
from tickets import actions
from tickets.actions import ArticleInput, AttachmentInput
from tickets.choices import Channel, HistoryType, LinkType, LockState, SenderType
from tickets.models import (
    SLA,
    Article,
    ArticleFlag,
    Attachment,
    Service,
    Ticket,
    TicketFlag,
    TicketHistory,
    TicketLink,
    TicketType,
)

NON_RW_KEYS = [k for k in PermissionKey if k != PermissionKey.RW]


# --- helpers -------------------------------------------------------------------------------------


def last_history_id() -> int:
    return TicketHistory.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def written_since(mark: int) -> list[tuple[int, str, str, str]]:
    """The history rows written after ``mark``: (ticket id, type, old, new)."""
    return list(
        TicketHistory.objects.filter(pk__gt=mark)
        .order_by("pk")
        .values_list("ticket_id", "history_type", "old_value", "new_value")
    )


def agent_with(group, *keys) -> User:
    agent = factories.agent()
    factories.grant(agent, group, *keys)
    return factories.refetch(agent)


def agent_lacking(group, need: str) -> User:
    """An agent holding every key on ``group`` except ``need`` (and rw)."""
    return agent_with(group, *[k for k in NON_RW_KEYS if k != need])


def tomorrow():
    return timezone.now().replace(microsecond=0) + timedelta(days=1)


def refused(code: str, call) -> DomainError:
    """Run ``call``; it must raise DomainError ``code`` and leave the database as it was."""
    before = factories.snapshot()
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.code == code
    assert factories.snapshot() == before
    return exc.value


@pytest.fixture
def ticket(support):
    return factories.ticket(support.queue)


@pytest.fixture
def rw(support):
    return factories.refetch(support.rw)


@pytest.fixture
def sales(support):
    """A second queue in its own group; the rw persona may move tickets into it."""
    grp = factories.group("sales")
    queue = factories.queue("Sales", group_=grp)
    factories.grant(support.rw, grp, PermissionKey.MOVE_INTO)
    return queue


@pytest.fixture
def events(event_handlers):
    """The ticket events delivered to a handler that hears everything, as (name, ticket id)."""
    received = []

    def handler(batch):
        received.extend((e.name, e.object_id) for e in batch.events if e.object_type == "ticket")

    event_handlers.subscribe("tests.everything", handler)
    return received


# --- create_ticket -------------------------------------------------------------------------------


def test_it_creates_a_ticket_with_new_ticket_history(support, rw):
    mark = last_history_id()

    ticket = actions.create_ticket(
        title="x" * 300,
        queue=support.queue,
        actor=rw,
        article=ArticleInput(
            channel=Channel.PHONE, sender_type=SenderType.CUSTOMER, body="It smokes."
        ),
    )

    ticket = Ticket.objects.get(pk=ticket.pk)
    article = ticket.articles.get()
    system = factories.system()
    assert len(ticket.title) == 255
    assert (ticket.state.name, ticket.priority.level, ticket.type.name) == (
        "new",
        3,
        "Unclassified",
    )
    assert (ticket.owner, ticket.responsible, ticket.lock) == (system, system, LockState.UNLOCK)
    assert ticket.created_by == rw
    assert written_since(mark) == [
        (ticket.pk, HistoryType.NEW_TICKET, "", ticket.number),
        (ticket.pk, HistoryType.PHONE_CALL_CUSTOMER, "", str(article.pk)),
    ]
    new_ticket = ticket.history.get(history_type=HistoryType.NEW_TICKET)
    assert new_ticket.extra["queue_id"] == support.queue.pk
    assert new_ticket.actor == rw


def test_it_refuses_to_create_without_the_create_key(support):
    actor = agent_lacking(support.group, PermissionKey.CREATE)

    refused(
        "permission_denied",
        lambda: actions.create_ticket(title="No", queue=support.queue, actor=actor),
    )


def test_it_refuses_to_create_a_pending_ticket_without_a_time(support, rw):
    refused(
        "pending_time_required",
        lambda: actions.create_ticket(
            title="Later",
            queue=support.queue,
            actor=rw,
            state=factories.state("pending reminder"),
        ),
    )


# --- add_article ---------------------------------------------------------------------------------


def test_it_adds_a_note_with_the_note_key(support, ticket):
    actor = agent_with(support.group, PermissionKey.NOTE)
    mark = last_history_id()

    article = actions.add_article(ticket, ArticleInput(body="Checked."), actor=actor)

    assert article.ticket == ticket
    assert (article.channel, article.sender_type) == (Channel.INTERNAL, SenderType.AGENT)
    assert written_since(mark) == [(ticket.pk, HistoryType.ADD_NOTE, "", str(article.pk))]
    assert TicketHistory.objects.get(pk__gt=mark).article == article
    assert ticket.unlock_anchor_at == article.created_at


def test_it_needs_rw_for_an_email_article(support, ticket):
    actor = agent_lacking(support.group, PermissionKey.RW)
    email = ArticleInput(channel=Channel.EMAIL, sender_type=SenderType.AGENT, body="Hello")

    refused("permission_denied", lambda: actions.add_article(ticket, email, actor=actor))

    mark = last_history_id()
    article = actions.add_article(ticket, email, actor=factories.refetch(support.rw))
    assert written_since(mark) == [(ticket.pk, HistoryType.SEND_ANSWER, "", str(article.pk))]


def test_it_sanitises_html_bodies(support, ticket, rw):
    html = '<p>Hi</p><script>alert("x")</script><img src="cid:logo" onerror="alert(1)">'

    article = actions.add_article(ticket, ArticleInput(body="Hi", body_html=html), actor=rw)

    stored = Article.objects.get(pk=article.pk).body_html
    assert "<p>Hi</p>" in stored
    assert "<script" not in stored
    assert "onerror" not in stored
    assert "alert" not in stored


def test_it_clears_other_users_seen_flag_on_a_new_article(support, ticket, rw):
    reader = factories.refetch(support.ro)
    author = agent_with(support.group, PermissionKey.NOTE, PermissionKey.RO)
    actions.mark_seen(ticket, user=rw)
    actions.mark_seen(ticket, user=reader)
    actions.mark_seen(ticket, user=author)

    article = actions.add_article(ticket, ArticleInput(body="News"), actor=author)

    assert set(TicketFlag.objects.filter(ticket=ticket).values_list("user", flat=True)) == {
        author.pk
    }
    assert set(ArticleFlag.objects.filter(article=article).values_list("user", flat=True)) == {
        author.pk
    }


def test_it_marks_every_article_and_the_ticket_seen(support, ticket, rw):
    second = factories.note(ticket)

    actions.mark_seen(ticket, user=rw)
    actions.mark_seen(ticket, user=rw)  # twice is harmless

    assert TicketFlag.objects.filter(ticket=ticket, user=rw, key="seen").count() == 1
    seen = set(ArticleFlag.objects.filter(user=rw, key="seen").values_list("article", flat=True))
    assert seen == set(ticket.articles.values_list("pk", flat=True))
    assert second.pk in seen


@pytest.mark.parametrize("backend", ["db", "fs"])
def test_it_stores_attachments_and_reads_back_the_same_bytes(
    support, ticket, rw, settings, tmp_path, backend
):
    settings.ATTACHMENT_STORAGE = backend
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    payload = bytes(range(256)) * 40 + b"\x00end"
    article = actions.add_article(
        ticket,
        ArticleInput(
            body="See attached.",
            attachments=[AttachmentInput("..\\..\\etc/report.bin", payload, "application/pdf")],
        ),
        actor=rw,
    )

    attachment = Attachment.objects.get(article=article)
    try:
        assert attachment.read() == payload
        assert (attachment.filename, attachment.size) == ("report.bin", len(payload))
        assert attachment.content_type == "application/pdf"
        if backend == "db":
            assert attachment.in_database
            assert not attachment.file
        else:
            assert not attachment.in_database
            assert Path(attachment.file.path).is_relative_to(tmp_path)
            assert Path(attachment.file.path).read_bytes() == payload
    finally:
        if attachment.file:
            attachment.file.delete(save=False)


# --- move_ticket ---------------------------------------------------------------------------------


def test_it_moves_a_ticket_with_move_history(support, ticket, rw, sales, events):
    mark = last_history_id()

    actions.move_ticket(ticket, sales, actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).queue == sales
    assert ticket.queue == sales
    assert written_since(mark) == [
        (ticket.pk, HistoryType.MOVE, str(support.queue.pk), str(sales.pk))
    ]


def test_it_refuses_to_move_into_a_queue_without_move_into(support, ticket, rw):
    elsewhere = factories.queue("Elsewhere")
    factories.grant(support.rw, elsewhere.group, *[k for k in NON_RW_KEYS if k != "move_into"])

    refused("permission_denied", lambda: actions.move_ticket(ticket, elsewhere, actor=rw))


def test_it_unlocks_on_move(ticket, rw, sales):
    actions.lock_ticket(ticket, actor=rw)
    old_queue = ticket.queue_id
    mark = last_history_id()

    actions.move_ticket(ticket, sales, actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).lock == LockState.UNLOCK
    assert [row[1:] for row in written_since(mark)] == [
        (HistoryType.MOVE, str(old_queue), str(sales.pk)),
        (HistoryType.UNLOCK, LockState.LOCK, LockState.UNLOCK),
    ]


# --- set_state / set_pending ---------------------------------------------------------------------


def test_it_changes_the_state_with_state_history(ticket, rw):
    new, opened = factories.state("new"), factories.state("open")
    mark = last_history_id()

    actions.set_state(ticket, opened, actor=rw)
    actions.set_state(ticket, opened, actor=rw)  # unchanged: nothing written

    assert Ticket.objects.get(pk=ticket.pk).state == opened
    assert written_since(mark) == [
        (ticket.pk, HistoryType.STATE_UPDATE, str(new.pk), str(opened.pk))
    ]


def test_it_unlocks_on_close(ticket, rw):
    actions.lock_ticket(ticket, actor=rw)
    closed = factories.state("closed successful")
    mark = last_history_id()

    actions.set_state(ticket, closed, actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).lock == LockState.UNLOCK
    assert [row[1] for row in written_since(mark)] == [
        HistoryType.STATE_UPDATE,
        HistoryType.UNLOCK,
    ]


def test_it_refuses_a_pending_state_without_a_time(ticket, rw):
    refused(
        "pending_time_required",
        lambda: actions.set_state(ticket, factories.state("pending reminder"), actor=rw),
    )


def test_it_refuses_the_merged_state_outside_a_merge(ticket, rw):
    refused("use_merge", lambda: actions.set_state(ticket, factories.state("merged"), actor=rw))


def test_it_sets_a_pending_state_and_time(ticket, rw):
    pending, until = factories.state("pending reminder"), tomorrow()
    mark = last_history_id()

    actions.set_pending(ticket, pending, until, actor=rw)

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.state, fresh.pending_until) == (pending, until)
    assert written_since(mark) == [
        (ticket.pk, HistoryType.STATE_UPDATE, str(factories.state("new").pk), str(pending.pk)),
        (ticket.pk, HistoryType.SET_PENDING_TIME, "", until.isoformat()),
    ]


def test_it_refuses_a_pending_time_with_a_state_that_is_not_pending(ticket, rw):
    refused(
        "not_pending_state",
        lambda: actions.set_pending(ticket, factories.state("open"), tomorrow(), actor=rw),
    )


def test_it_refuses_a_naive_pending_time(ticket, rw):
    naive = timezone.make_naive(tomorrow())
    refused(
        "naive_datetime",
        lambda: actions.set_pending(ticket, factories.state("pending reminder"), naive, actor=rw),
    )


def test_it_clears_the_pending_time_when_leaving_a_pending_state(ticket, rw):
    until = tomorrow()
    actions.set_pending(ticket, factories.state("pending auto close+"), until, actor=rw)
    mark = last_history_id()

    actions.set_state(ticket, factories.state("open"), actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).pending_until is None
    assert [row[1:] for row in written_since(mark)][1:] == [
        (HistoryType.SET_PENDING_TIME, until.isoformat(), "")
    ]


# --- owner and responsible -----------------------------------------------------------------------


def test_it_changes_the_owner_with_the_owner_key(support, ticket):
    actor = agent_with(support.group, PermissionKey.OWNER)
    new_owner = agent_with(support.group, PermissionKey.OWNER)
    system = factories.system()
    mark = last_history_id()

    actions.set_owner(ticket, new_owner, actor=actor)

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.owner == new_owner
    # ResponsibleAutoSet: the responsible was still the system user.
    assert fresh.responsible == new_owner
    assert written_since(mark) == [
        (ticket.pk, HistoryType.OWNER_UPDATE, str(system.pk), str(new_owner.pk)),
        (ticket.pk, HistoryType.RESPONSIBLE_UPDATE, str(system.pk), str(new_owner.pk)),
    ]


def test_it_keeps_a_real_responsible_when_the_owner_changes(support, rw):
    responsible = factories.refetch(support.ro)
    ticket = factories.ticket(support.queue, responsible=responsible)
    mark = last_history_id()

    actions.set_owner(ticket, rw, actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).responsible == responsible
    assert [row[1] for row in written_since(mark)] == [HistoryType.OWNER_UPDATE]


def test_it_refuses_an_owner_without_the_owner_key(support, ticket, rw):
    refused(
        "invalid_owner",
        lambda: actions.set_owner(ticket, factories.refetch(support.ro), actor=rw),
    )


def test_it_changes_the_responsible(support, ticket, rw):
    responsible = factories.refetch(support.ro)
    mark = last_history_id()

    actions.set_responsible(ticket, responsible, actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).responsible == responsible
    assert written_since(mark) == [
        (
            ticket.pk,
            HistoryType.RESPONSIBLE_UPDATE,
            str(factories.system().pk),
            str(responsible.pk),
        )
    ]


def test_it_refuses_a_responsible_who_cannot_read_the_queue(support, ticket, rw):
    refused(
        "invalid_responsible",
        lambda: actions.set_responsible(ticket, factories.refetch(support.outsider), actor=rw),
    )


# --- lock and unlock -----------------------------------------------------------------------------


def test_it_locks_a_ticket_to_the_actor(ticket, rw):
    system = factories.system()
    mark = last_history_id()

    actions.lock_ticket(ticket, actor=rw)
    actions.lock_ticket(ticket, actor=rw)  # already theirs: nothing more

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.lock, fresh.owner) == (LockState.LOCK, rw)
    assert fresh.unlock_anchor_at is not None
    assert written_since(mark) == [
        (ticket.pk, HistoryType.LOCK, LockState.UNLOCK, LockState.LOCK),
        (ticket.pk, HistoryType.OWNER_UPDATE, str(system.pk), str(rw.pk)),
        (ticket.pk, HistoryType.RESPONSIBLE_UPDATE, str(system.pk), str(rw.pk)),
    ]


def test_it_refuses_to_lock_a_ticket_locked_by_someone_else(support, ticket, rw):
    actions.lock_ticket(ticket, actor=rw)
    other = agent_with(support.group, PermissionKey.RW)

    refused("locked_by_other", lambda: actions.lock_ticket(ticket, actor=other))


def test_it_unlocks_a_ticket(ticket, rw):
    actions.lock_ticket(ticket, actor=rw)
    mark = last_history_id()

    actions.unlock_ticket(ticket, actor=rw)
    actions.unlock_ticket(ticket, actor=rw)  # already unlocked: nothing more

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.lock, fresh.owner) == (LockState.UNLOCK, rw)
    assert written_since(mark) == [
        (ticket.pk, HistoryType.UNLOCK, LockState.LOCK, LockState.UNLOCK)
    ]


# --- priority, title, type, service, customer ----------------------------------------------------


def test_it_changes_the_priority_with_the_priority_key(support, ticket):
    actor = agent_with(support.group, PermissionKey.PRIORITY)
    normal, high = factories.priority(3), factories.priority(4)
    mark = last_history_id()

    actions.set_priority(ticket, high, actor=actor)

    assert Ticket.objects.get(pk=ticket.pk).priority == high
    assert written_since(mark) == [
        (ticket.pk, HistoryType.PRIORITY_UPDATE, str(normal.pk), str(high.pk))
    ]


def test_it_changes_the_title(ticket, rw):
    old = ticket.title
    mark = last_history_id()

    actions.set_title(ticket, "  Printer fixed  ", actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).title == "Printer fixed"
    assert written_since(mark) == [(ticket.pk, HistoryType.TITLE_UPDATE, old, "Printer fixed")]


def test_it_refuses_an_empty_title(ticket, rw):
    refused("title_required", lambda: actions.set_title(ticket, "   ", actor=rw))


def test_it_changes_the_type(ticket, rw):
    unclassified = ticket.type
    incident = TicketType.objects.create(name="Incident")
    mark = last_history_id()

    actions.set_type(ticket, incident, actor=rw)

    assert Ticket.objects.get(pk=ticket.pk).type == incident
    assert written_since(mark) == [
        (ticket.pk, HistoryType.TYPE_UPDATE, str(unclassified.pk), str(incident.pk))
    ]


def test_it_sets_service_and_sla(ticket, rw):
    service = Service.objects.create(name="Email")
    sla = SLA.objects.create(name="Gold")
    sla.services.add(service)
    mark = last_history_id()

    actions.set_service(ticket, service, sla, actor=rw)

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.service, fresh.sla) == (service, sla)
    assert written_since(mark) == [
        (ticket.pk, HistoryType.SERVICE_UPDATE, "", str(service.pk)),
        (ticket.pk, HistoryType.SLA_UPDATE, "", str(sla.pk)),
    ]


def test_it_refuses_an_sla_of_another_service(ticket, rw):
    service = Service.objects.create(name="Email")
    sla = SLA.objects.create(name="Gold")
    sla.services.add(Service.objects.create(name="Phone"))

    refused("invalid_sla", lambda: actions.set_service(ticket, service, sla, actor=rw))


def test_it_changes_the_customer(ticket, rw):
    mark = last_history_id()

    actions.set_customer(ticket, customer_id="ACME", customer_user="alice", actor=rw)

    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.customer_id, fresh.customer_user) == ("ACME", "alice")
    assert written_since(mark) == [(ticket.pk, HistoryType.CUSTOMER_UPDATE, "", "alice")]
    row = TicketHistory.objects.get(pk__gt=mark)
    assert row.extra == {"old_customer_id": "", "new_customer_id": "ACME"}


# --- links ---------------------------------------------------------------------------------------


@pytest.fixture
def pair(support):
    return factories.ticket(support.queue, title="One"), factories.ticket(
        support.queue, title="Two"
    )


def link_history(ticket):
    return list(
        ticket.history.filter(
            history_type__in=[HistoryType.TICKET_LINK_ADD, HistoryType.TICKET_LINK_DELETE]
        )
        .order_by("pk")
        .values_list("history_type", "old_value", "new_value", "extra")
    )


def test_it_links_two_tickets_with_history_on_both(pair, rw):
    a, b = pair

    link = actions.link_tickets(a, b, LinkType.PARENT_CHILD, actor=rw)

    assert (link.source, link.target, link.link_type) == (a, b, LinkType.PARENT_CHILD)
    assert link_history(a) == [
        (
            HistoryType.TICKET_LINK_ADD,
            "",
            str(b.pk),
            {"number": b.number, "link_type": LinkType.PARENT_CHILD, "role": "source"},
        )
    ]
    assert link_history(b) == [
        (
            HistoryType.TICKET_LINK_ADD,
            "",
            str(a.pk),
            {"number": a.number, "link_type": LinkType.PARENT_CHILD, "role": "target"},
        )
    ]


def test_it_treats_a_duplicate_link_as_a_no_op(pair, rw):
    a, b = pair
    first = actions.link_tickets(a, b, actor=rw)
    before = factories.snapshot()

    assert actions.link_tickets(a, b, actor=rw) == first
    # Normal links are symmetric: the reversed one is the same link.
    assert actions.link_tickets(b, a, actor=rw) == first
    assert factories.snapshot() == before


def test_it_refuses_the_reversed_parent_child_link(pair, rw):
    a, b = pair
    actions.link_tickets(a, b, LinkType.PARENT_CHILD, actor=rw)

    refused("link_conflict", lambda: actions.link_tickets(b, a, LinkType.PARENT_CHILD, actor=rw))
    refused("link_conflict", lambda: actions.link_tickets(a, b, LinkType.NORMAL, actor=rw))


def test_it_refuses_to_link_a_ticket_to_itself(pair, rw):
    a, _b = pair

    refused("link_self", lambda: actions.link_tickets(a, a, actor=rw))


def test_it_unlinks_with_history_on_both(pair, rw):
    a, b = pair
    actions.link_tickets(a, b, LinkType.PARENT_CHILD, actor=rw)
    mark = last_history_id()

    actions.unlink_tickets(b, a, actor=rw)

    assert not TicketLink.objects.exists()
    assert written_since(mark) == [
        (b.pk, HistoryType.TICKET_LINK_DELETE, str(a.pk), ""),
        (a.pk, HistoryType.TICKET_LINK_DELETE, str(b.pk), ""),
    ]


# --- watchers ------------------------------------------------------------------------------------


def test_it_subscribes_and_unsubscribes_a_watcher(support, ticket):
    watcher = factories.refetch(support.ro)
    mark = last_history_id()

    actions.watch_ticket(ticket, actor=watcher)
    actions.watch_ticket(ticket, actor=watcher)  # twice: still one subscription

    assert list(ticket.watchers.values_list("user", flat=True)) == [watcher.pk]
    assert written_since(mark) == [(ticket.pk, HistoryType.SUBSCRIBE, "", str(watcher.pk))]

    mark = last_history_id()
    actions.unwatch_ticket(ticket, actor=watcher)
    actions.unwatch_ticket(ticket, actor=watcher)  # not watching: nothing more

    assert not ticket.watchers.exists()
    assert written_since(mark) == [(ticket.pk, HistoryType.UNSUBSCRIBE, str(watcher.pk), "")]


def test_it_refuses_to_subscribe_someone_who_cannot_read(support, ticket, rw):
    refused(
        "permission_denied",
        lambda: actions.watch_ticket(ticket, actor=rw, user=factories.refetch(support.outsider)),
    )


# --- permission refusals, one per action ---------------------------------------------------------


@pytest.fixture
def world(support, sales):
    rw = factories.refetch(support.rw)
    ticket = factories.ticket(support.queue)
    other = factories.ticket(support.queue, title="Other")
    third = factories.ticket(support.queue, title="Third")
    actions.link_tickets(ticket, third, actor=rw)
    actions.watch_ticket(ticket, actor=factories.refetch(support.ro))
    actions.lock_ticket(ticket, actor=rw)
    service = Service.objects.create(name="Email")
    return type(
        "World",
        (),
        {
            "support": support,
            "sales": sales,
            "ticket": ticket,
            "other": other,
            "third": third,
            "rw": rw,
            "service": service,
        },
    )


ATTEMPTS = {
    "create_ticket": (
        PermissionKey.CREATE,
        lambda w, a: actions.create_ticket(title="New", queue=w.support.queue, actor=a),
    ),
    "add_article": (
        PermissionKey.NOTE,
        lambda w, a: actions.add_article(w.ticket, ArticleInput(body="Hi"), actor=a),
    ),
    "move_ticket": (
        PermissionKey.MOVE_INTO,
        lambda w, a: actions.move_ticket(w.ticket, w.sales, actor=a),
    ),
    "set_state": (
        PermissionKey.RW,
        lambda w, a: actions.set_state(w.ticket, factories.state("open"), actor=a),
    ),
    "set_pending": (
        PermissionKey.RW,
        lambda w, a: actions.set_pending(
            w.ticket, factories.state("pending reminder"), tomorrow(), actor=a
        ),
    ),
    "set_owner": (
        PermissionKey.OWNER,
        lambda w, a: actions.set_owner(w.ticket, factories.system(), actor=a),
    ),
    "set_responsible": (
        PermissionKey.RW,
        lambda w, a: actions.set_responsible(w.ticket, factories.system(), actor=a),
    ),
    "lock_ticket": (PermissionKey.RW, lambda w, a: actions.lock_ticket(w.other, actor=a)),
    "unlock_ticket": (PermissionKey.RW, lambda w, a: actions.unlock_ticket(w.ticket, actor=a)),
    "set_priority": (
        PermissionKey.PRIORITY,
        lambda w, a: actions.set_priority(w.ticket, factories.priority(5), actor=a),
    ),
    "set_title": (PermissionKey.RW, lambda w, a: actions.set_title(w.ticket, "New", actor=a)),
    "set_type": (
        PermissionKey.RW,
        lambda w, a: actions.set_type(w.ticket, TicketType.objects.create(name="T"), actor=a),
    ),
    "set_service": (
        PermissionKey.RW,
        lambda w, a: actions.set_service(w.ticket, w.service, None, actor=a),
    ),
    "set_customer": (
        PermissionKey.RW,
        lambda w, a: actions.set_customer(w.ticket, customer_id="X", customer_user="x", actor=a),
    ),
    "link_tickets": (
        PermissionKey.RW,
        lambda w, a: actions.link_tickets(w.ticket, w.other, actor=a),
    ),
    "unlink_tickets": (
        PermissionKey.RW,
        lambda w, a: actions.unlink_tickets(w.ticket, w.third, actor=a),
    ),
    "watch_ticket": (PermissionKey.RO, lambda w, a: actions.watch_ticket(w.other, actor=a)),
    "unwatch_ticket": (
        PermissionKey.RW,
        lambda w, a: actions.unwatch_ticket(
            w.ticket, actor=a, user=factories.refetch(w.support.ro)
        ),
    ),
}


@pytest.mark.parametrize("name", ATTEMPTS)
def test_it_refuses_an_agent_lacking_the_key_and_writes_nothing(world, name):
    need, attempt = ATTEMPTS[name]
    actor = agent_lacking(world.support.group, need)
    # Moving is checked on the target queue too; there the actor may move into.
    factories.grant(actor, world.sales.group, PermissionKey.MOVE_INTO)
    actor = factories.refetch(actor)

    refused("permission_denied", lambda: attempt(world, actor))


# --- events --------------------------------------------------------------------------------------


def test_it_emits_events_only_after_commit(ticket, rw, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_priority(ticket, factories.priority(5), actor=rw)
        actions.add_article(ticket, ArticleInput(body="Done"), actor=rw)
        assert events == []

    assert events == [
        ("TicketPriorityUpdate", ticket.pk),
        ("ArticleCreate", ticket.pk),
    ]


def test_it_emits_nothing_for_a_rolled_back_action(
    ticket, rw, events, django_capture_on_commit_callbacks
):
    class Abort(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        actions.set_priority(ticket, factories.priority(5), actor=rw)
        actions.lock_ticket(ticket, actor=rw)
        raise Abort

    assert callbacks == []
    assert events == []
    assert Ticket.objects.get(pk=ticket.pk).priority.level == 3


def test_it_emits_nothing_for_a_refused_action(
    support, ticket, events, django_capture_on_commit_callbacks
):
    ro = factories.refetch(support.ro)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(DomainError),
    ):
        actions.set_priority(ticket, factories.priority(5), actor=ro)

    assert callbacks == []
    assert events == []


def test_it_refuses_seen_flags_to_agents_who_cannot_read_the_ticket(support):
    ticket = factories.ticket(support.queue)
    with pytest.raises(DomainError) as refused:
        actions.mark_seen(ticket, user=support.outsider)
    assert refused.value.code == "permission_denied"
    assert not TicketFlag.objects.filter(ticket=ticket).exists()
