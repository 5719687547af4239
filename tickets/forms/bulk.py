"""The bulk action's form.

:func:`selected_tickets` reads the ticket ids a list posted and keeps those the agent may
see, silently: an id the agent may not see is dropped as if it did not exist.
:class:`BulkForm` parses the changes into :class:`tickets.actions.BulkChanges`, which
:func:`tickets.actions.bulk_change` applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User
from otrs.permissions import PermissionKey, agents_holding, grants_for
from tickets import access
from tickets.actions import ArticleInput, BulkChanges
from tickets.choices import Channel, LockState, SenderType, StateType
from tickets.models import Priority, Queue, State, Ticket

from ..fields import TicketScreen, add_form_fields, changed_values_from
from .common import (
    AgentChoiceField,
    TranslatedChoiceField,
    check_pending_time,
    pending_until_field,
)

# At most this many tickets in one bulk action (a list page shows at most 500 rows).
MAX_TICKETS = 500


LOCK_CHOICES = [
    ("", _("unchanged")),
    (LockState.LOCK, _("lock (to me)")),
    (LockState.UNLOCK, _("unlock")),
]


def selected_tickets(user: User, raw_ids: Iterable[str]) -> list[Ticket]:
    """The tickets among ``raw_ids`` that ``user`` may see, ordered by number."""
    ids = set()
    for raw in raw_ids:
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            continue
    if not ids:
        return []
    return list(
        access.visible_to(user)
        .filter(pk__in=sorted(ids)[:MAX_TICKETS])
        .select_related("queue", "state", "priority", "owner")
        .order_by("number")
    )


class BulkForm(forms.Form):
    """The changes of a bulk action. Every field may stay unchanged, but not all of them."""

    state = TranslatedChoiceField(
        label=_("State"),
        queryset=State.objects.valid().exclude(
            state_type__in=[StateType.MERGED, StateType.REMOVED]
        ),
        required=False,
        empty_label=_("unchanged"),
    )
    pending_until = pending_until_field()
    priority = TranslatedChoiceField(
        label=_("Priority"),
        queryset=Priority.objects.valid(),
        required=False,
        empty_label=_("unchanged"),
    )
    queue = forms.ModelChoiceField(
        label=_("Move to queue"),
        queryset=Queue.objects.none(),
        required=False,
        empty_label=_("unchanged"),
    )
    owner = AgentChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("unchanged")
    )
    responsible = AgentChoiceField(
        label=_("Responsible"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("unchanged"),
    )
    lock = forms.ChoiceField(label=_("Lock"), choices=LOCK_CHOICES, required=False)
    note_subject = forms.CharField(label=_("Note subject"), max_length=250, required=False)
    note_body = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    note_visible = forms.BooleanField(label=_("Visible to the customer"), required=False)
    merge_into = forms.TypedChoiceField(
        label=_("Merge all into"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("The other selected tickets are merged into this one."),
    )

    def __init__(self, user: User, tickets: list[Ticket], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tickets = {ticket.pk: ticket for ticket in tickets}
        move_groups = grants_for(user).group_ids(PermissionKey.MOVE_INTO)
        cast(forms.ModelChoiceField, self.fields["queue"]).queryset = Queue.objects.valid().filter(
            group_id__in=sorted(move_groups)
        )
        # Owners and responsibles must qualify on each ticket's queue; the actions check that
        # per ticket. Offered are those who qualify somewhere these tickets are or may go.
        groups = {ticket.queue.group_id for ticket in tickets} | move_groups
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = agents_holding(
            PermissionKey.OWNER, groups
        )
        cast(forms.ModelChoiceField, self.fields["responsible"]).queryset = agents_holding(
            PermissionKey.RO, groups
        )
        cast(forms.ChoiceField, self.fields["merge_into"]).choices = [("", _("do not merge"))] + [
            (ticket.pk, f"{ticket.number} · {ticket.title}") for ticket in tickets
        ]
        # The custom fields configured for the bulk screen; empty ones stay unchanged.
        add_form_fields(self, TicketScreen.BULK, optional=True)

    def clean_merge_into(self) -> Ticket | None:
        pk = self.cleaned_data["merge_into"]
        return None if pk is None else self.tickets[pk]

    def clean(self):
        data = super().clean()
        check_pending_time(self, data)
        if data.get("note_subject") and not data.get("note_body"):
            self.add_error("note_body", _("A note needs a text."))
        if not self.errors and not any(self.changes().__dict__.values()):
            raise forms.ValidationError(_("Choose at least one change."), code="nothing")
        return data

    def changes(self) -> BulkChanges:
        data = self.cleaned_data
        note = None
        if data.get("note_body"):
            note = ArticleInput(
                channel=Channel.INTERNAL,
                sender_type=SenderType.AGENT,
                is_visible_for_customer=data["note_visible"],
                subject=data["note_subject"] or gettext("Note"),
                body=data["note_body"],
            )
        state = data.get("state")
        return BulkChanges(
            state=state,
            pending_until=data.get("pending_until") if state and state.is_pending else None,
            priority=data.get("priority"),
            queue=data.get("queue"),
            owner=data.get("owner"),
            responsible=data.get("responsible"),
            lock=data.get("lock") or "",
            note=note,
            merge_into=data.get("merge_into"),
            field_values=changed_values_from(data),
        )
