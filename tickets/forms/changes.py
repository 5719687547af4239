"""Forms of the per-ticket action screens: note, phone calls, close, pending, move, owner,
responsible, priority, and the confirm-only ones (lock, unlock, watch, unwatch).

Every form is a :class:`tickets.forms.versioned.VersionedForm` (it carries the ticket version the
agent saw) and parses the request into what the action takes: an
:class:`~tickets.actions.ArticleInput` with its :class:`~tickets.actions.AttachmentInput`
files, a State, a Queue, a User, a Priority, an aware datetime. Choice lists hold only what
this agent may choose on this ticket, so a forged value is a form error, not an action error.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User
from otrs.permissions import PermissionKey, agents_holding, grants_for

from .. import access
from ..actions import ArticleInput
from ..choices import PENDING_STATE_TYPES, Channel, SenderType, StateType
from ..models import Draft, Priority, Queue, State, Ticket
from . import composer
from .common import (
    AgentChoiceField,
    AttachmentsField,
    TranslatedChoiceField,
    add_time_units_field,
    pending_until_field,
)
from .versioned import VersionedForm

# OTRS PendingDiffTime: the pending time the form suggests, from now.
PENDING_SUGGESTION = timedelta(days=1)


# --- fields ------------------------------------------------------------------------------------


class QueueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Queue) -> str:
        return obj.full_name


# --- bases -------------------------------------------------------------------------------------


class TicketActionForm(VersionedForm):
    """A form for one action by ``user`` on ``ticket``; alone, a plain confirmation (lock,
    unlock, watch, unwatch)."""

    def __init__(self, *args, ticket: Ticket, user: User, **kwargs):
        self.user = user
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, ticket=ticket, **kwargs)


class ArticleForm(TicketActionForm):
    """A new article with attachments; subclasses say channel, sender and visibility.
    ``cleaned_data["article"]`` is the :class:`ArticleInput`."""

    channel = Channel.INTERNAL
    sender_type = SenderType.AGENT
    customer_visible = False

    subject = forms.CharField(label=_("Subject"), max_length=250, required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea, strip=False)
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].initial = self.ticket.title
        add_time_units_field(self)

    def is_visible(self) -> bool:
        return self.customer_visible

    def addresses(self) -> dict[str, str]:
        return {}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("Write the text."), code="required")
        return body

    def clean(self):
        data = super().clean()
        if "body" in data and "attachments" in data:
            data["article"] = ArticleInput(
                channel=self.channel,
                sender_type=self.sender_type,
                subject=data.get("subject", "").strip() or self.ticket.title,
                body=data["body"],
                is_visible_for_customer=self.is_visible(),
                attachments=tuple(data["attachments"]),
                time_units=data.get("time_units"),
                **self.addresses(),
            )
        return data


class OptionalNoteForm(TicketActionForm):
    """A change that may come with an internal note, added in the same request.
    ``cleaned_data["article"]`` is the note's :class:`ArticleInput`, or ``None``. The note
    fields are left out for an agent without the ``note`` key on the ticket."""

    note_subject = forms.CharField(label=_("Note subject"), max_length=250, required=False)
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        strip=False,
        help_text=_("Optional: an internal note added with the change."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not access.can(self.user, self.ticket, PermissionKey.NOTE):
            del self.fields["note_subject"], self.fields["note"]

    def clean(self):
        data = super().clean()
        body = data.get("note", "")
        data["article"] = (
            ArticleInput(
                channel=Channel.INTERNAL,
                sender_type=SenderType.AGENT,
                subject=data.get("note_subject", "").strip() or self.ticket.title,
                body=body,
            )
            if body.strip()
            else None
        )
        return data


# --- the screens' forms ------------------------------------------------------------------------


class NoteForm(ArticleForm):
    """An internal note, visible to the customer if the agent says so; it may insert a text
    module, take the files kept with the agent's ``draft`` and mention agents (``@login``,
    in ``cleaned_data["mentions"]``)."""

    field_order = ["subject", "body", "visible_for_customer", "attachments"]

    visible_for_customer = forms.BooleanField(
        label=_("Visible to the customer"), required=False, initial=False
    )

    def __init__(self, *args, draft: Draft | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        composer.add_text_module_field(self, self.ticket)
        if draft is not None and draft.attachments.exists():
            composer.add_draft_files_field(self, draft)

    def is_visible(self) -> bool:
        return bool(self.cleaned_data.get("visible_for_customer"))

    def clean(self):
        composer.apply_text_module(self)  # before the article is built from the text
        data = super().clean()
        data["mentions"] = composer.mentioned_agents(self, self.ticket)
        article = data.get("article")
        if article is not None and composer.DRAFT_FILES in self.fields:
            files = (*article.attachments, *composer.draft_files(self))
            data["article"] = dataclasses.replace(article, attachments=files)
        return data


class PhoneInboundForm(ArticleForm):
    """A call the customer made (history PhoneCallCustomer)."""

    channel = Channel.PHONE
    sender_type = SenderType.CUSTOMER
    customer_visible = True

    def addresses(self) -> dict[str, str]:
        return {"from_address": self.ticket.customer_user}


class PhoneOutboundForm(ArticleForm):
    """A call the agent made to the customer (history PhoneCallAgent)."""

    channel = Channel.PHONE
    sender_type = SenderType.AGENT
    customer_visible = True

    def addresses(self) -> dict[str, str]:
        return {"to_address": self.ticket.customer_user}


class CloseForm(OptionalNoteForm):
    field_order = ["state", "note_subject", "note"]

    state = TranslatedChoiceField(
        label=_("Close as"),
        queryset=State.objects.valid().of_types(StateType.CLOSED).order_by("name"),
        empty_label=None,
    )


class PendingForm(TicketActionForm):
    """A pending state and its time, typed in the agent's time zone. Whether a pending state
    needs a time is the action's rule (its message comes back as a form error)."""

    state = TranslatedChoiceField(
        label=_("Pending state"),
        queryset=State.objects.valid().of_types(*PENDING_STATE_TYPES).order_by("name"),
        empty_label=None,
    )
    pending_until = pending_until_field(help_text=_("In your time zone."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket.state.is_pending:
            self.fields["state"].initial = self.ticket.state_id
        suggestion = timezone.now().replace(second=0, microsecond=0) + PENDING_SUGGESTION
        self.fields["pending_until"].initial = self.ticket.pending_until or suggestion

    def clean_pending_until(self):
        # The field has already read a naive input in the current (the agent's) time zone.
        moment = self.cleaned_data["pending_until"]
        if moment is None:
            return None
        if moment <= timezone.now():
            raise forms.ValidationError(_("The pending time must be in the future."))
        return moment.astimezone(UTC)


class MoveForm(OptionalNoteForm):
    """Targets: valid queues, other than the current one, where the agent has move_into."""

    field_order = ["queue", "note_subject", "note"]

    queue = QueueChoiceField(label=_("New queue"), queryset=Queue.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = grants_for(self.user).group_ids(PermissionKey.MOVE_INTO)
        self.fields["queue"].queryset = (
            Queue.objects.valid()
            .filter(group_id__in=sorted(groups))
            .exclude(pk=self.ticket.queue_id)
            .order_by("full_name")
        )


class OwnerForm(OptionalNoteForm):
    """Candidates: active agents with the ``owner`` key on the queue's group."""

    field_order = ["owner", "note_subject", "note"]

    owner = AgentChoiceField(label=_("New owner"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = agents_holding(
            PermissionKey.OWNER, [self.ticket.queue.group_id]
        )
        self.fields["owner"].initial = self.ticket.owner_id


class ResponsibleForm(TicketActionForm):
    """Candidates: active agents who may read the queue (``ro`` on its group)."""

    responsible = AgentChoiceField(label=_("New responsible"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = agents_holding(PermissionKey.RO, [self.ticket.queue.group_id])
        self.fields["responsible"].queryset = candidates
        self.fields["responsible"].initial = self.ticket.responsible_id


class PriorityForm(TicketActionForm):
    priority = TranslatedChoiceField(
        label=_("Priority"), queryset=Priority.objects.valid().order_by("level"), empty_label=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].initial = self.ticket.priority_id
