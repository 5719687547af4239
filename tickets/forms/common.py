"""Form pieces the agent screens share."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User
from tickets.actions import AttachmentInput


class AgentChoiceField(forms.ModelChoiceField):
    """An agent shown as "Full Name (login)"."""

    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


def check_pending_time(form: forms.Form, data: dict) -> None:
    """A pending state needs a pending time, and that time lies ahead (fields ``state`` and
    ``pending_until``)."""
    state, until = data.get("state"), data.get("pending_until")
    if state is None or not state.is_pending or "pending_until" in form.errors:
        return
    if until is None:
        form.add_error("pending_until", _("A pending state needs a pending time."))
    elif until <= timezone.now():
        form.add_error("pending_until", _("The pending time must be in the future."))


class TranslatedChoiceField(forms.ModelChoiceField):
    """States, priorities and types carry English names that the catalogue translates."""

    def label_from_instance(self, obj) -> str:
        return gettext(obj.name)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of uploaded files in one input (a plain FileField takes one)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def upload_limit() -> int:
    """The most one form may upload, all files together (``AGENT_UPLOAD_MAX_BYTES``)."""
    return settings.AGENT_UPLOAD_MAX_BYTES


def uploaded_attachments(files) -> list[AttachmentInput]:
    """The files of a :class:`MultipleFileField` as attachments, or a form error when they
    are larger together than :func:`upload_limit`."""
    total, limit = sum(f.size for f in files), upload_limit()
    if total > limit:
        raise ValidationError(
            _("The attachments are too large (%(size)s together); at most %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(total), "limit": filesizeformat(limit)},
        )
    return [
        AttachmentInput(
            filename=f.name,
            content=f.read(),
            content_type=f.content_type or "application/octet-stream",
        )
        for f in files
    ]


def pending_until_field(**kwargs) -> forms.DateTimeField:
    """A pending time, typed in the agent's time zone (a ``datetime-local`` input)."""
    options = {
        "label": _("Pending until"),
        "required": False,
        "help_text": _("Needed for a pending state; in your time zone."),
        "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    }
    options.update(kwargs)
    return forms.DateTimeField(**options)


def ticket_number_text(raw: str) -> str:
    """What the agent typed, without a pasted ticket hook ("Ticket#2024...")."""
    text = raw.strip()
    hook = settings.TICKET_HOOK
    if text.lower().startswith(hook.lower()):
        text = text[len(hook) :].lstrip(": ")
    return text
