"""The email composer's form (reply, reply to all, forward) and what it prefills."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import getaddresses
from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import mailtexts
from ..actions import ArticleInput, AttachmentInput
from ..actions.email import system_addresses
from ..choices import UNMERGEABLE_STATE_TYPES, Channel, SenderType, StateType, TemplateType
from ..models import (
    Article,
    Draft,
    StandardTemplate,
    State,
    Ticket,
)
from ..subjects import SUBJECT_FWD, SUBJECT_RE, build_ticket_subject
from . import composer
from .common import (
    AttachmentsField,
    TranslatedChoiceField,
    add_time_units_field,
    pending_until_field,
)
from .composer import AttachmentChoiceField
from .versioned import VersionedForm


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
    entries: list[str] = []
    current: list[str] = []
    quoted, angle = False, False
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
    next_state = TranslatedChoiceField(
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
        draft: Draft | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind, self.article, self.user = kind, article, user
        composer.add_draft_files_field(self, draft)
        if not self.is_bound:
            # Built only for the empty form: a submitted one brings its own text.
            initial = composer_initial(kind, self.ticket, article, user, template)
            self.initial = {**initial, **self.initial}
        states = State.objects.valid().exclude(
            state_type__in=(*UNMERGEABLE_STATE_TYPES, StateType.NEW)
        )
        cast(forms.ModelChoiceField, self.fields["next_state"]).queryset = states.order_by("name")
        if kind == FORWARD:
            files = article.attachments.order_by("pk")
            cast(forms.ModelChoiceField, self.fields["forward_attachments"]).queryset = files
            self.fields["forward_attachments"].initial = list(files)
        else:
            del self.fields["forward_attachments"]
        add_time_units_field(self)
        composer.add_text_module_field(self, self.ticket)

    def clean(self):
        data = super().clean()
        composer.apply_text_module(self)
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
        ] + composer.draft_files(self)
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
            time_units=data.get("time_units"),
        )

    def state_after(self) -> tuple[State | None, datetime | None]:
        """The state to set after sending (None: unchanged) and its pending time."""
        state = self.cleaned_data.get("next_state")
        if state is None:
            return None, None
        return state, self.cleaned_data.get("pending_until") if state.is_pending else None
