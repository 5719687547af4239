"""Form pieces the agent screens share."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User


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
