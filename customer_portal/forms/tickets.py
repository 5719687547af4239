"""Forms of the customer portal's ticket pages.

They offer only what a customer may choose (:mod:`tickets.access`: the queues, types and
services marked for customers) and return what the actions take. The actions check the
same rules again, so a choice posted by hand is refused twice over.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from otrs.permissions import PermissionKey
from tickets import access
from tickets import fields as ticket_fields
from tickets.actions import ArticleInput
from tickets.choices import Channel, SenderType
from tickets.forms.common import AttachmentsField, TranslatedChoiceField
from tickets.models import Queue, Service
from tickets.selectors import SORTS as TICKET_SORTS

# --- the list ----------------------------------------------------------------------------------

MINE, COMPANY = "mine", "company"
OPEN, CLOSED, ALL = "open", "closed", "all"
# Sort keys: (label, ordering). Each ordering ends in the id, so that pages never overlap.
SORTS = {
    "-changed": (_("Last change, newest first"), ("-changed_at", "-id")),
    "changed": (_("Last change, oldest first"), ("changed_at", "id")),
    "-created": (_("Created, newest first"), ("-created_at", "-id")),
    "created": (_("Created, oldest first"), ("created_at", "id")),
    "number": (_("Ticket number"), ("number", "id")),
    "title": (_("Title"), ("title", "id")),
    # As the agent's overviews: by the state's id (the workflow's order), then the oldest.
    "state": (_("State"), (*TICKET_SORTS["state"], "id")),
}
DEFAULT_SORT = "-changed"


@dataclass(frozen=True)
class TicketFilters:
    """What the ticket list shows: whose tickets, which states, a search text, the order."""

    scope: str = MINE
    state: str = OPEN
    text: str = ""
    sort: str = DEFAULT_SORT

    @property
    def ordering(self) -> tuple[str, ...]:
        return SORTS[self.sort][1]

    def query(self, **changes) -> dict[str, str]:
        """These filters as GET parameters (for links that change one of them)."""
        values = {"scope": self.scope, "state": self.state, "q": self.text, "sort": self.sort}
        values.update(changes)
        return {key: value for key, value in values.items() if value}


class TicketListForm(forms.Form):
    """The list's filters from the query string; a value that makes no sense is ignored
    (the list is shown with that filter's default), never an error page."""

    scope = forms.ChoiceField(
        label=_("Tickets"),
        choices=[(MINE, _("My tickets")), (COMPANY, _("My company's tickets"))],
        required=False,
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[(OPEN, _("Open")), (CLOSED, _("Closed")), (ALL, _("All"))],
        required=False,
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        required=False,
    )

    def __init__(self, *args, with_companies: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_companies:
            # A customer without companies has only their own tickets.
            del self.fields["scope"]

    def filters(self) -> TicketFilters:
        self.is_valid()
        # Fields with errors are missing from cleaned_data: their defaults apply.
        data = getattr(self, "cleaned_data", {})
        defaults = TicketFilters()
        return TicketFilters(
            scope=data.get("scope") or defaults.scope,
            state=data.get("state") or defaults.state,
            text=(data.get("q") or "").strip(),
            sort=data.get("sort") or defaults.sort,
        )


# --- new ticket and answers --------------------------------------------------------------------


class _MessageForm(forms.Form):
    """A message text with attachments, the part a new ticket and an answer share."""

    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))
    attachments = AttachmentsField(label=_("Attachments"))

    def _article(self, subject: str) -> ArticleInput:
        """The customer's web message (the action adds who it is from)."""
        return ArticleInput(
            channel=Channel.WEB,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            subject=subject,
            body=self.cleaned_data["body"],
            attachments=self.cleaned_data["attachments"],
        )


class NewTicketForm(_MessageForm):
    """A customer's new ticket. The queue is offered only when there is a choice; type and
    service only when customers may choose any."""

    title = forms.CharField(label=_("Subject"), max_length=255)
    queue: forms.ModelChoiceField[Queue] = forms.ModelChoiceField(
        label=_("Queue"), queryset=None, empty_label=None
    )
    ticket_type = TranslatedChoiceField(
        label=_("Type"), queryset=None, required=False, empty_label=_("(no choice)")
    )
    service: forms.ModelChoiceField[Service] = forms.ModelChoiceField(
        label=_("Service"), queryset=None, required=False, empty_label=_("(no choice)")
    )

    field_order = ["title", "queue", "ticket_type", "service", "body", "attachments"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        queues = access.queues_for(user, PermissionKey.CREATE)
        self.queues = list(queues)
        self.fields["queue"].queryset = queues
        if len(self.queues) == 1:
            # No choice to offer: the one queue, whatever was posted.
            del self.fields["queue"]
        types = access.customer_ticket_types(user)
        if types.exists():
            self.fields["ticket_type"].queryset = types
        else:
            del self.fields["ticket_type"]
        services = access.customer_services(user)
        if services.exists():
            self.fields["service"].queryset = services
        else:
            del self.fields["service"]
        # Only the custom fields configured for this screen; required ones are enforced and a
        # value the field's type refuses is that field's error.
        shown = ticket_fields.add_form_fields(self, ticket_fields.TicketScreen.CUSTOMER_NEW_TICKET)
        custom = [ticket_fields.PREFIX + definition.name for definition in shown]
        self.order_fields([*self.field_order[:4], *custom, *self.field_order[4:]])

    @property
    def can_create(self) -> bool:
        return bool(self.queues)

    def clean(self):
        data = super().clean()
        if not self.can_create:
            raise ValidationError(
                _("New tickets cannot be opened here at the moment."), code="no_queue"
            )
        return data

    def create_kwargs(self) -> dict:
        """The arguments of :func:`tickets.actions.create_web_ticket` (without the actor)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "queue": data["queue"] if "queue" in self.fields else self.queues[0],
            "ticket_type": data.get("ticket_type"),
            "service": data.get("service"),
            "article": self._article(data["title"]),
            "field_values": ticket_fields.field_values_from(data),
        }


class ReplyForm(_MessageForm):
    """A customer's answer on a ticket."""

    def article(self, ticket) -> ArticleInput:
        return self._article(ticket.title)
