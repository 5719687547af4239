"""Form pieces the agent screens share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs import policy
from otrs.accounts.models import User
from otrs.web.uploads import UploadField
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


class AttachmentsField(UploadField):
    """The one upload field of every article form (agent and customer portal): any number
    of files within ``UPLOAD_MAX_FILE_BYTES`` each and ``UPLOAD_MAX_REQUEST_BYTES``
    together, enforced while they stream in (:mod:`otrs.web.uploads`); cleans to a list of
    :class:`AttachmentInput` whose content is the uploaded file itself, so the action
    stores it from Django's temporary file without reading it whole into memory."""

    def convert(self, upload) -> AttachmentInput:
        return AttachmentInput(
            filename=upload.name,
            content=upload,
            content_type=upload.content_type or "application/octet-stream",
        )


def pending_until_field(**kwargs) -> forms.DateTimeField:
    """A pending time, typed in the agent's time zone (a ``datetime-local`` input)."""
    options: dict[str, Any] = {
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


def add_time_units_field(form: forms.Form) -> None:
    """The "Time units" field of an article form, as the policy ``ticket_time_units`` says
    (the admin's system configuration, else ``TICKET_TIME_UNITS``): left out ("off"),
    optional, or required (OTRS Ticket::Frontend::NeedAccountedTime)."""
    mode = policy.value("ticket_time_units")
    if mode == "off":
        return
    form.fields["time_units"] = forms.DecimalField(
        label=_("Time units"),
        required=mode == "required",
        min_value=0,
        max_value=99999999,
        max_digits=10,
        decimal_places=2,
        help_text=_("Time spent on this, e.g. minutes (as your help desk counts them)."),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
