"""Forms of the second half of the ticket action screens: link, unlink, merge, unmerge,
customer, and the email composer (reply, reply-all, forward).

The forms parse: a ticket number becomes a :class:`~tickets.models.Ticket` the agent may use,
a customer login or address becomes the stored login and customer id, address lists are
checked and normalised. The views orchestrate and call one action.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import getaddresses

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import CustomerUser
from otrs.permissions import PermissionKey

from .. import access, actions
from ..actions import ArticleInput, AttachmentInput
from ..actions.email import system_addresses
from ..choices import (
    UNMERGEABLE_STATE_TYPES,
    Channel,
    LinkType,
    SenderType,
    StateType,
    TemplateType,
)
from ..conflicts import VersionedForm
from ..models import Article, Attachment, StandardTemplate, State, Ticket, TicketLink
from ..subjects import SUBJECT_FWD, SUBJECT_RE, build_ticket_subject
from .common import AttachmentsField, pending_until_field


def _number_text(raw: str) -> str:
    """What the agent typed, without a pasted ticket hook ("Ticket#2024...")."""
    text = raw.strip()
    hook = settings.TICKET_HOOK
    if text.lower().startswith(hook.lower()):
        text = text[len(hook) :].lstrip(": ")
    return text


# --- link and unlink ---------------------------------------------------------------------------


class LinkForm(VersionedForm):
    """Link this ticket with another one, found by its number among the tickets the agent may
    read. "Parent" and "child" say what *this* ticket becomes."""

    NORMAL, PARENT, CHILD = "normal", "parent", "child"

    number = forms.CharField(label=gettext_lazy("Other ticket number"), max_length=60)
    link_type = forms.ChoiceField(
        label=gettext_lazy("Link type"),
        choices=[
            (NORMAL, gettext_lazy("Normal")),
            (PARENT, gettext_lazy("Parent: this ticket is the parent of the other")),
            (CHILD, gettext_lazy("Child: this ticket is a child of the other")),
        ],
        initial=NORMAL,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_number(self) -> Ticket:
        number = _number_text(self.cleaned_data["number"])
        other = access.visible_to(self.user).filter(number=number).first()
        if other is None:
            raise ValidationError(_("No ticket with that number that you may link to."))
        if other.pk == self.ticket.pk:
            raise ValidationError(_("A ticket cannot be linked to itself."))
        return other

    def clean(self):
        data = super().clean()
        other, kind = data.get("number"), data.get("link_type")
        if other is not None and kind:
            # The action takes the parent as the source.
            parent_first = kind != self.CHILD
            data["source"], data["target"] = (
                (self.ticket, other) if parent_first else (other, self.ticket)
            )
            data["type"] = LinkType.NORMAL if kind == self.NORMAL else LinkType.PARENT_CHILD
        return data


class UnlinkForm(VersionedForm):
    """Remove the link between this ticket and ``other`` (a ticket id)."""

    other = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_other(self) -> Ticket:
        pk = self.cleaned_data["other"]
        linked = TicketLink.objects.filter(
            Q(source=self.ticket, target_id=pk) | Q(source_id=pk, target=self.ticket)
        )
        other = access.visible_to(self.user).filter(pk=pk).first()
        if other is None or not linked.exists():
            raise ValidationError(_("This ticket is not linked to that one."))
        return other


# --- merge and unmerge -------------------------------------------------------------------------


class MergeForm(VersionedForm):
    """Step one: the target's number. Step two (``confirm`` set): the agent saw the preview.

    The target is found as mail follow-ups find it (:func:`tickets.actions.resolve_number`
    follows earlier merges) and must allow ``rw``. An unknown number and a ticket the agent may
    not merge into give the same message, so the form does not tell which tickets exist.
    """

    number = forms.CharField(label=gettext_lazy("Merge into ticket number"), max_length=60)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_number(self) -> Ticket:
        refused = ValidationError(_("No ticket with that number that you may merge into."))
        target = actions.resolve_number(_number_text(self.cleaned_data["number"]))
        if target is None:
            raise refused
        try:
            target = access.access_ticket(self.user, target.pk, need=PermissionKey.RW)
        except Http404:
            raise refused from None
        if target.pk == self.ticket.pk:
            raise ValidationError(_("A ticket cannot be merged into itself."))
        if target.state.state_type in UNMERGEABLE_STATE_TYPES:
            raise ValidationError(
                _("Ticket %(number)s is merged or removed; nothing can be merged into it.")
                % {"number": target.number}
            )
        return target

    def clean(self):
        data = super().clean()
        if self.ticket.merged_into_id is not None:
            raise ValidationError(
                _("Ticket %(number)s is already merged.") % {"number": self.ticket.number}
            )
        return data


class UnmergeForm(VersionedForm):
    """Confirms taking a merged ticket back out of its target."""


# --- customer ----------------------------------------------------------------------------------


def find_customer_user(text: str) -> CustomerUser | None:
    """The valid customer user with this login, else the only one with this address."""
    text = text.strip()
    if not text:
        return None
    users = CustomerUser.objects.filter(is_valid=True).select_related("user", "company")
    found = users.filter(user__username__iexact=text).first()
    if found is None:
        by_email = list(users.filter(email__iexact=text)[:2])
        found = by_email[0] if len(by_email) == 1 else None
    return found


class CustomerForm(VersionedForm):
    """The ticket's customer user (a login or an address) and customer id. A known customer
    user is stored by login, and their company fills an empty customer id; anything else is
    kept as typed, as OTRS does for senders who are no known customer."""

    customer_user = forms.CharField(
        label=gettext_lazy("Customer user"),
        max_length=250,
        help_text=gettext_lazy("Login or email address."),
    )
    customer_id = forms.CharField(
        label=gettext_lazy("Customer ID"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Left empty, it is taken from the customer user's company."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_user"].initial = self.ticket.customer_user
        self.fields["customer_id"].initial = self.ticket.customer_id

    def clean(self):
        data = super().clean()
        typed = (data.get("customer_user") or "").strip()
        known = find_customer_user(typed) if typed else None
        if known is not None:
            data["customer_user"] = known.login
            if not data.get("customer_id") and known.company_id:
                data["customer_id"] = known.company.customer_id
        data["customer_id"] = (data.get("customer_id") or "").strip()
        return data


def customer_label(customer: CustomerUser) -> str:
    """The label "Name <email> (company)" that the autocomplete and the search list show."""
    name = customer.user.get_full_name() or customer.login
    label = f"{name} <{customer.email}>" if customer.email else name
    return f"{label} ({customer.company.name})" if customer.company_id else label


def search_customer_users(term: str, *, limit: int = 20) -> list[CustomerUser]:
    """Valid customer users whose login, name, address, company or customer id contains
    ``term``; at most ``limit``."""
    term = term.strip()
    if len(term) < 2:
        return []
    match = (
        Q(user__username__icontains=term)
        | Q(user__first_name__icontains=term)
        | Q(user__last_name__icontains=term)
        | Q(email__icontains=term)
        | Q(company__name__icontains=term)
        | Q(company__customer_id__icontains=term)
    )
    return list(
        CustomerUser.objects.filter(match, is_valid=True)
        .select_related("user", "company")
        .order_by("user__username")[:limit]
    )


# --- the email composer ------------------------------------------------------------------------


def _addresses(*headers: str) -> list[tuple[str, str]]:
    """(name, address) pairs of header values, without duplicates (by address)."""
    seen, result = set(), []
    for name, address in getaddresses([h for h in headers if h]):
        key = address.strip().lower()
        if key and "@" in key and key not in seen:
            seen.add(key)
            result.append((name.strip(), address.strip()))
    return result


def _format_address(name: str, address: str) -> str:
    if not name:
        return address
    if re.search(r'[][\\()<>@,:;."]', name):
        name = '"{}"'.format(name.replace("\\", "\\\\").replace('"', '\\"'))
    return f"{name} <{address}>"


def _format_addresses(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(_format_address(name, address) for name, address in pairs)


def own_addresses(user) -> set[str]:
    """Addresses that are ours and never go into a reply-all's Cc: the agent's, the
    configured senders and every system address."""
    candidates = (user.email, settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL)
    own = {address.lower() for _name, address in _addresses(*candidates)}
    return own | system_addresses()


def _reply_to(article: Article, ticket: Ticket) -> str:
    """Whom a reply goes to: our own message's recipients, else the sender (Reply-To first),
    else the ticket's customer when that is an address."""
    if article.sender_type in (SenderType.AGENT, SenderType.SYSTEM) and article.to_address:
        return article.to_address
    sender = article.reply_to or article.from_address
    if not sender and "@" in ticket.customer_user:
        sender = ticket.customer_user
    return _format_addresses(_addresses(sender))


REPLY, REPLY_ALL, FORWARD = "reply", "reply_all", "forward"


def composer_templates(ticket: Ticket, kind: str):
    """The valid templates of the ticket's queue for this screen: answers for a reply,
    forwards for a forward."""
    wanted = TemplateType.FORWARD if kind == FORWARD else TemplateType.ANSWER
    return StandardTemplate.objects.valid().filter(queues=ticket.queue, template_type=wanted)


def composer_initial(
    kind: str, ticket: Ticket, article: Article, user, template: StandardTemplate | None = None
) -> dict[str, str]:
    """The prefilled To, Cc, Subject and Body of a reply, a reply to all, or a forward. A
    reply's text is the queue's salutation, the template, the queue's signature and the
    original behind "> "; a forward's the template, the signature and the original message
    (spec 4, with the tags expanded by :mod:`tickets.mailtexts`)."""
    from .. import mailtexts

    prefix = SUBJECT_FWD if kind == FORWARD else SUBJECT_RE
    compose = mailtexts.forward_text if kind == FORWARD else mailtexts.reply_text
    initial = {
        "to": "" if kind == FORWARD else _reply_to(article, ticket),
        "cc": "",
        "subject": build_ticket_subject(prefix, article.subject or ticket.title, ticket.number),
        "body": compose(ticket, article, user, template),
    }
    if kind == REPLY_ALL:
        skip = own_addresses(user) | {a.lower() for _n, a in _addresses(initial["to"])}
        others = _addresses(article.to_address, article.cc_address)
        initial["cc"] = _format_addresses([p for p in others if p[1].lower() not in skip])
    return initial


def _split_addresses(value: str) -> list[str]:
    """The entries of an address list: split at commas outside quotes and angle brackets."""
    entries, current, quoted, angle = [], [], False, False
    for char in value:
        if char == '"':
            quoted = not quoted
        elif char in "<>" and not quoted:
            angle = char == "<"
        elif char == "," and not (quoted or angle):
            entries.append("".join(current))
            current = []
            continue
        current.append(char)
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


class AddressListField(forms.CharField):
    """A comma-separated list of mail addresses, returned normalised."""

    def clean(self, value):
        value = super().clean(value)
        pairs = []
        for entry in _split_addresses(value or ""):
            parsed = getaddresses([entry])
            try:
                if len(parsed) != 1:
                    raise ValidationError("")
                validate_email(parsed[0][1])
            except ValidationError:
                raise ValidationError(
                    _("“%(address)s” is not a valid email address.") % {"address": entry},
                    code="invalid_address",
                ) from None
            pairs.append(parsed[0])
        return _format_addresses(_addresses(*(_format_address(*p) for p in pairs)))


class AttachmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Attachment) -> str:
        return f"{obj.filename} ({filesizeformat(obj.size)})"


class ComposeForm(VersionedForm):
    """An answer by mail: recipients, subject, text, attachments (a forward may take the
    original's along) and the state to set after sending. :meth:`article_input` gives what
    :func:`tickets.actions.send_email` sends."""

    to = AddressListField(label=gettext_lazy("To"))
    cc = AddressListField(label=gettext_lazy("Cc"), required=False)
    bcc = AddressListField(label=gettext_lazy("Bcc"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=1000)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 16}))
    attachments = AttachmentsField(label=gettext_lazy("Attachments"))
    forward_attachments = AttachmentChoiceField(
        label=gettext_lazy("Forward the original attachments"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    next_state = forms.ModelChoiceField(
        label=gettext_lazy("State after sending"),
        queryset=State.objects.none(),
        required=False,
        empty_label=gettext_lazy("unchanged"),
    )
    pending_until = pending_until_field()

    def __init__(
        self,
        *args,
        kind: str,
        article: Article,
        user,
        template: StandardTemplate | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind, self.article = kind, article
        if not self.is_bound:
            # Built only for the empty form: a submitted one brings its own text.
            initial = composer_initial(kind, self.ticket, article, user, template)
            self.initial = {**initial, **self.initial}
        states = State.objects.valid().exclude(
            state_type__in=(*UNMERGEABLE_STATE_TYPES, StateType.NEW)
        )
        self.fields["next_state"].queryset = states.order_by("name")
        if kind == FORWARD:
            files = article.attachments.defer("db_content").order_by("pk")
            self.fields["forward_attachments"].queryset = files
            self.fields["forward_attachments"].initial = list(files)
        else:
            del self.fields["forward_attachments"]

    def clean(self):
        data = super().clean()
        state = data.get("next_state")
        until = data.get("pending_until")
        if state is not None and state.is_pending and "pending_until" not in self.errors:
            if not until:
                self.add_error(
                    "pending_until",
                    _("The state “%(state)s” needs a pending time.") % {"state": state.name},
                )
            elif until <= timezone.now():
                self.add_error("pending_until", _("The pending time must be in the future."))
        return data

    def article_input(self) -> ArticleInput:
        """The mail to send, threaded to the article it answers or forwards."""
        data, original = self.cleaned_data, self.article
        forwarded = [
            AttachmentInput(
                filename=item.filename,
                content=item.read(),
                content_type=item.content_type,
            )
            for item in data.get("forward_attachments") or ()
        ]
        references = " ".join(p for p in (original.references, original.message_id) if p)
        return ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            to_address=data["to"],
            cc_address=data["cc"],
            bcc_address=data["bcc"],
            subject=data["subject"],
            body=data["body"],
            in_reply_to=original.message_id,
            references=references,
            attachments=[*forwarded, *data["attachments"]],
        )

    def state_after(self) -> tuple[State | None, datetime | None]:
        """The state to set after sending (None: unchanged) and its pending time."""
        state = self.cleaned_data.get("next_state")
        if state is None:
            return None, None
        return state, self.cleaned_data.get("pending_until") if state.is_pending else None
