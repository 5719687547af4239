"""The rules an agent screen relies on, as the actions own them (so the API, the GenericAgent
and processes get the same): the expected version checked inside the row lock, OTRS
RequiredLock, answering with a lock and a state, and the bulk change."""

from __future__ import annotations

import pytest

from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey
from tests import factories
from tickets import actions
from tickets.choices import HistoryType, LockState
from tickets.models import Ticket


@pytest.fixture
def ticket(support):
    return factories.ticket(support.queue)


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- the expected version ----------------------------------------------------------------------


def test_it_refuses_a_change_asked_on_a_version_others_changed(support, ticket):
    seen = actions.ticket_version(ticket)
    actions.set_title(ticket, "Renamed by someone else", actor=factories.system())
    before = factories.snapshot()

    with pytest.raises(actions.EditConflict) as conflict:
        actions.set_priority(
            fresh(ticket), factories.priority(5), actor=support.rw, expected_version=seen
        )

    assert conflict.value.code == ErrorCode.EDIT_CONFLICT
    assert [row.history_type for row in conflict.value.changes] == [HistoryType.TITLE_UPDATE]
    assert conflict.value.version == actions.ticket_version(fresh(ticket))
    assert factories.snapshot() == before

    # With the version the conflict reported, the change goes through.
    actions.set_priority(
        fresh(ticket),
        factories.priority(5),
        actor=support.rw,
        expected_version=conflict.value.version,
    )
    assert fresh(ticket).priority == factories.priority(5)


def test_it_does_not_count_the_actors_own_changes_as_a_conflict(support, ticket):
    seen = actions.ticket_version(ticket)
    actions.set_title(ticket, "My own rename", actor=support.rw)

    actions.set_priority(ticket, factories.priority(4), actor=support.rw, expected_version=seen)

    assert fresh(ticket).priority == factories.priority(4)


def test_it_checks_no_version_when_none_is_given(support, ticket):
    actions.set_title(ticket, "Renamed by someone else", actor=factories.system())

    actions.set_priority(ticket, factories.priority(2), actor=support.rw)

    assert fresh(ticket).priority == factories.priority(2)


# --- RequiredLock ------------------------------------------------------------------------------


def test_it_locks_an_unlocked_ticket_to_an_agent_who_may_own_it(support, ticket):
    actions.set_priority(ticket, factories.priority(4), actor=support.rw, lock_if_unlocked=True)

    changed = fresh(ticket)
    assert (changed.lock, changed.owner) == (LockState.LOCK, support.rw)


def test_it_changes_without_locking_for_an_agent_acting_by_a_narrower_key(support, ticket):
    agent = factories.agent()
    factories.grant(agent, support.group, PermissionKey.PRIORITY)

    actions.set_priority(ticket, factories.priority(4), actor=agent, lock_if_unlocked=True)

    changed = fresh(ticket)
    assert changed.priority == factories.priority(4)
    assert changed.lock == LockState.UNLOCK


def test_it_adds_the_note_of_a_change_before_the_change(support, ticket):
    note = actions.ArticleInput(subject="Why", body="Moved for the night shift.")
    other = factories.queue("Night")
    factories.grant(support.rw, other.group, PermissionKey.MOVE_INTO)

    actions.move_ticket(ticket, other, actor=factories.refetch(support.rw), note=note)

    rows = list(fresh(ticket).history.order_by("pk").values_list("history_type", flat=True))
    assert rows[-2:] == [HistoryType.ADD_NOTE, HistoryType.MOVE]


# --- answering ---------------------------------------------------------------------------------


def test_it_answers_with_the_lock_the_mail_and_the_state_together(support, ticket):
    answer = actions.ArticleInput(to_address="carol@example.com", subject="Re", body="Done.")
    closed = factories.state("closed successful")

    actions.answer_ticket(ticket, answer, actor=support.rw, state=closed)

    changed = fresh(ticket)
    assert changed.state == closed
    assert changed.owner == support.rw
    types = set(changed.history.values_list("history_type", flat=True))
    assert {HistoryType.LOCK, HistoryType.SEND_ANSWER, HistoryType.STATE_UPDATE} <= types


def test_it_refuses_to_answer_a_ticket_locked_by_somebody_else(support, ticket):
    other = factories.agent()
    factories.grant(other, support.group, PermissionKey.RW)
    actions.lock_ticket(ticket, actor=other)
    before = factories.snapshot()
    answer = actions.ArticleInput(to_address="carol@example.com", subject="Re", body="Done.")

    with pytest.raises(DomainError) as refused:
        actions.answer_ticket(fresh(ticket), answer, actor=support.rw)

    assert refused.value.code == ErrorCode.LOCKED_BY_OTHER
    assert factories.snapshot() == before


# --- bulk --------------------------------------------------------------------------------------


def test_it_skips_whole_the_tickets_a_bulk_change_may_not_touch(support, ticket):
    hidden = factories.ticket(factories.queue("Elsewhere"))
    changes = actions.BulkChanges(priority=factories.priority(5), lock=LockState.LOCK)

    result = actions.bulk_change([ticket, hidden], changes, actor=support.rw)

    assert result.changed == [ticket]
    assert [(t, reason) for t, reason in result.skipped] == [
        (hidden, f"You do not have the “read and write” permission on ticket {hidden.number}.")
    ]
    assert fresh(ticket).priority == factories.priority(5)
    assert fresh(hidden).priority == factories.priority(3)
