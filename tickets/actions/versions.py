"""Edit conflicts: a change asked for on a version of the ticket that others have changed since.

A ticket's version is its ``changed_at`` as a timestamp in microseconds (:func:`ticket_version`);
a screen sends the version the agent saw along with the change. An action given an
``expected_version`` checks it inside its row lock (:func:`check_version`), so no change by
someone else can slip in between the check and the write: if others changed the ticket since
that version, it raises :class:`EditConflict` with their history rows and the current version,
and nothing is done. Submitting again with the current version knowingly applies the change on
top.

Additive changes (notes, phone calls, watching, links) overwrite nothing and are never
checked: their actions take no expected version.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode

from ..models import Ticket, TicketHistory
from ._base import _locked

# At most this many of the others' changes are reported.
MAX_CHANGES = 50


def ticket_version(ticket: Ticket) -> str:
    """The version of ``ticket`` as a screen carries it."""
    return str(int(ticket.changed_at.timestamp() * 1_000_000))


def _parse(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromtimestamp(int(raw) / 1_000_000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class EditConflict(DomainError):
    """Others changed the ticket after the version the change was asked for on.

    ``changes`` are their history rows (oldest first), ``version`` the ticket's current
    version, to send with a repeated request."""

    def __init__(self, ticket: Ticket, changes: list[TicketHistory]) -> None:
        super().__init__(
            _(
                "This ticket changed since you opened it. Check the changes below, then "
                "submit again to apply yours."
            ),
            code=ErrorCode.EDIT_CONFLICT,
        )
        self.changes = changes
        self.version = ticket_version(ticket)


def changes_since(ticket: Ticket, seen: str | None, actor: User) -> list[TicketHistory]:
    """History rows of changes by others than ``actor`` after the version ``seen``; empty
    when it is current. A missing or garbled version counts as "seen before everything"."""
    seen_at = _parse(seen)
    if seen_at is not None and ticket.changed_at <= seen_at:
        return []
    entries = TicketHistory.objects.filter(ticket=ticket).exclude(actor=actor)
    if seen_at is not None:
        entries = entries.filter(created_at__gt=seen_at)
    return list(entries.select_related("actor").order_by("created_at", "id")[:MAX_CHANGES])


def check_version(locked: Ticket, expected_version: str | None, actor: User) -> None:
    """Raise :class:`EditConflict` if others changed ``locked`` (row-locked by the caller)
    since ``expected_version``. ``None``: the caller asks for no check."""
    if expected_version is None:
        return
    changes = changes_since(locked, expected_version, actor)
    if changes:
        raise EditConflict(locked, changes)


def expect_version(ticket: Ticket, expected_version: str | None, *, actor: User) -> None:
    """Lock ``ticket``'s row and raise :class:`EditConflict` if others changed it since
    ``expected_version``: the first step of a request that makes several changes in one
    transaction (the API's PATCH), so that none of them, also those whose actions take no
    version (title, type), lands on a ticket changed in between. Call inside a transaction."""
    check_version(_locked(ticket), expected_version, actor)
