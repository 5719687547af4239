"""Forms of the new phone ticket and new email ticket screens.

They parse what the agent typed into domain objects, limited to what the agent may choose
(queues where the agent holds ``create``; owners with ``owner`` and responsibles with ``ro``
on those queues' groups), and give :func:`tickets.actions.create_ticket` its arguments. The
action checks the rules again (owner and responsible on the *chosen* queue, the SLA of the
service, the pending time); the view shows its refusals on the field their error code names
(:class:`otrs.errors.ErrorCode`).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, getaddresses
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from customers.models import CustomerUser
from otrs.accounts.models import User
from otrs.permissions import PermissionKey, agents_holding, grants_for
from tickets.actions import ArticleInput, default_priority, default_type
from tickets.choices import Channel, LockState, SenderType, StateType
from tickets.models import SLA, Priority, Queue, Service, State, TicketType

from . import composer
from .common import (
    AgentChoiceField,
    AttachmentsField,
    TranslatedChoiceField,
    check_pending_time,
    pending_until_field,
)


@dataclass(frozen=True)
class Customer:
    """Whom a new ticket is for: its customer user and id, and the article's address."""

    customer_user: str
    customer_id: str
    address: str


def _one_address(text: str) -> tuple[str, str]:
    found = getaddresses([text])
    if len(found) != 1 or not found[0][1]:
        raise ValidationError(_("Enter exactly one address."), code="one_address")
    return found[0]


def find_customer(text: str, *, address_only: bool = False) -> Customer:
    """A known customer user (by login or email address), or else an email address as in
    spec 3.5: an unknown sender is both the customer user and the customer id."""
    text = text.strip()
    name, address = _one_address(text) if address_only or "@" in text else ("", "")
    known = CustomerUser.objects.filter(is_valid=True, user__is_active=True).select_related(
        "user", "company"
    )
    match = None if address_only else known.filter(user__username__iexact=text).first()
    if match is None and address:
        match = known.filter(email__iexact=address).first()
    if match is not None:
        return Customer(
            customer_user=match.login,
            customer_id=match.company.customer_id if match.company is not None else "",
            address=formataddr((match.user.get_full_name(), match.email)),
        )
    try:
        validate_email(address)
    except ValidationError:
        message = (
            _("Enter a valid email address.")
            if address_only
            else _("Enter the login or email address of a customer, or a valid email address.")
        )
        raise ValidationError(message, code="invalid_customer") from None
    return Customer(customer_user=address, customer_id=address, address=formataddr((name, address)))


def parse_address_list(text: str) -> str:
    """Comma-separated email addresses, each validated, written back normalised."""
    found = [pair for pair in getaddresses([text]) if any(pair)]
    for _name, address in found:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("“%(address)s” is not a valid email address."),
                code="invalid_address",
                params={"address": address or text},
            ) from None
    return ", ".join(formataddr(pair) for pair in found)


def _url_or_empty(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


class NewTicketForm(forms.Form):
    """The fields both new-ticket screens share."""

    customer = forms.CharField(
        label=_("Customer"),
        max_length=250,
        help_text=_(
            "The login or email address of a customer user; an unknown email address is "
            "taken as it is."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    customer_id = forms.CharField(
        label=_("Customer ID"),
        max_length=150,
        required=False,
        help_text=_("Leave empty for the customer user's company (or the unknown address)."),
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.none(), empty_label=_("Choose a queue")
    )
    title = forms.CharField(label=_("Title"), max_length=255)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}))
    attachments = AttachmentsField(label=_("Attachments"))
    state = TranslatedChoiceField(
        label=_("State"),
        queryset=State.objects.valid().exclude(
            state_type__in=[StateType.MERGED, StateType.REMOVED]
        ),
        empty_label=None,
    )
    pending_until = pending_until_field()
    priority = TranslatedChoiceField(
        label=_("Priority"), queryset=Priority.objects.valid(), empty_label=None
    )
    type = TranslatedChoiceField(
        label=_("Type"), queryset=TicketType.objects.valid(), empty_label=None
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.valid(),
        required=False,
        empty_label=_("No service"),
    )
    sla = forms.ModelChoiceField(
        label=_("SLA"), queryset=SLA.objects.valid(), required=False, empty_label=_("No SLA")
    )
    owner = AgentChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody"),
        help_text=_("An owner locks the new ticket to them; they need “be owner” on the queue."),
    )
    responsible = AgentChoiceField(
        label=_("Responsible"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The owner"),
    )

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        groups = grants_for(user).group_ids(PermissionKey.CREATE)
        cast(forms.ModelChoiceField, self.fields["queue"]).queryset = Queue.objects.valid().filter(
            group_id__in=sorted(groups)
        )
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = agents_holding(
            PermissionKey.OWNER, groups
        )
        cast(forms.ModelChoiceField, self.fields["responsible"]).queryset = agents_holding(
            PermissionKey.RO, groups
        )
        self.fields["state"].initial = (
            State.objects.valid().filter(name="open").values_list("pk", flat=True).first()
        )
        self.fields["priority"].initial = default_priority()
        self.fields["type"].initial = default_type()
        # With JavaScript, the customer field suggests customer users (their logins).
        composer.add_text_module_field(self, None, composer.new_ticket_text_modules(user))
        suggest = _url_or_empty("agent:customer_autocomplete")
        if suggest and "customer" in self.fields:
            self.fields["customer"].widget.attrs["data-autocomplete"] = f"{suggest}?q="

    def clean_customer(self) -> Customer:
        return find_customer(self.cleaned_data["customer"])

    def clean(self):
        data = super().clean()
        check_pending_time(self, data)
        composer.check_module_queue(self)
        composer.apply_text_module(self)
        return data

    def _customer(self) -> Customer:
        return self.cleaned_data["customer"]

    def article(self) -> ArticleInput:
        """The first article: the customer's phone call."""
        return ArticleInput(
            channel=Channel.PHONE,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            from_address=self._customer().address,
            subject=self.cleaned_data["title"],
            body=self.cleaned_data["body"],
            attachments=self.cleaned_data["attachments"],
        )

    def create_kwargs(self) -> dict:
        """The arguments of :func:`tickets.actions.create_ticket` (but the actor)."""
        data, customer = self.cleaned_data, self._customer()
        state, owner = data["state"], data["owner"]
        return {
            "title": data["title"],
            "queue": data["queue"],
            "state": state,
            "priority": data["priority"],
            "ticket_type": data["type"],
            "service": data["service"],
            "sla": data["sla"],
            "owner": owner,
            "responsible": data["responsible"],
            # As in OTRS, a ticket created for a chosen owner is locked to them (but a ticket
            # created closed has nobody working on it).
            "lock": LockState.LOCK if owner and not state.is_closed else LockState.UNLOCK,
            "customer_user": customer.customer_user,
            "customer_id": data["customer_id"] or customer.customer_id,
            "pending_until": data["pending_until"] if state.is_pending else None,
            "article": self.article(),
            # The text's tags (of the text modules inserted, and on an email ticket of the
            # queue's salutation, signature and template) are filled in for the new ticket.
            "expand_tags": True,
        }


class PhoneTicketForm(NewTicketForm):
    """A customer called: the ticket starts with their phone call (PhoneCallCustomer)."""


class EmailTicketForm(NewTicketForm):
    """The agent writes to a customer: the ticket starts with the agent's email (EmailAgent),
    sent from the queue's system address. The customer is the To address."""

    # Django's form metaclass drops a declared field that a subclass sets to None.
    customer = None  # type: ignore[assignment]
    to = forms.CharField(
        label=_("To"),
        max_length=250,
        help_text=_("The customer's email address."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )
    cc = forms.CharField(
        label=_("Cc"),
        max_length=1000,
        required=False,
        help_text=_("Further email addresses, separated by commas."),
    )

    field_order = ["to", "cc", "customer_id"]

    def clean_to(self) -> Customer:
        return find_customer(self.cleaned_data["to"], address_only=True)

    def clean_cc(self) -> str:
        return parse_address_list(self.cleaned_data["cc"])

    def _customer(self) -> Customer:
        return self.cleaned_data["to"]

    def article(self) -> ArticleInput:
        return ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            to_address=self._customer().address,
            cc_address=self.cleaned_data["cc"],
            subject=self.cleaned_data["title"],
            body=self.cleaned_data["body"],
            attachments=self.cleaned_data["attachments"],
        )
