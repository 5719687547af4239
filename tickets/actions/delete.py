"""Deleting a ticket for good (OTRS TicketDelete; only GenericAgent jobs offer it)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.fields.models import FieldValue
from otrs.permissions import PermissionKey

from .. import events, ticket_counts
from ..events import TicketEvent
from ..fields import ARTICLE, TICKET
from ..models import Ticket
from ._base import _locked, _require


def delete_ticket(ticket: Ticket, *, actor: User) -> None:
    """Delete ``ticket`` with its articles, history, links and custom-field values (``rw``),
    and record ``TicketDelete`` (with its number, the only trace left). A ticket that others
    were merged into stays: deleting it would leave them pointing nowhere."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if Ticket.objects.filter(merged_into=locked).exists():
            raise DomainError(
                _("Ticket %(number)s cannot be deleted: other tickets were merged into it.")
                % {"number": locked.number},
                code=ErrorCode.TICKET_HAS_MERGED,
            )
        article_ids = list(locked.articles.values_list("pk", flat=True))
        FieldValue.objects.filter(object_type=TICKET, object_id=locked.pk).delete()
        if article_ids:
            FieldValue.objects.filter(object_type=ARTICLE, object_id__in=article_ids).delete()
        events.record(
            TicketEvent.TICKET_DELETE,
            ticket_id=locked.pk,
            actor_id=actor.pk,
            data={"number": locked.number, "queue_id": locked.queue_id},
        )
        locked.delete()
        ticket_counts.removed(locked)
