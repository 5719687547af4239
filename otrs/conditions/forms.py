"""The form field every rule editor uses for a condition: its text form in a textarea."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import text
from .core import Schema


class ConditionField(forms.CharField):
    """A textarea holding one test per line (see :mod:`otrs.conditions.text`); cleans to the
    condition tree (``{}`` when empty). ``schema``: a callable, so the choices (queues,
    states) are read when the form is used, not when it is defined."""

    def __init__(self, *, schema: Callable[[], Schema], **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "cols": 80}))
        kwargs.setdefault(
            "help_text",
            _(
                "One test per line, all must hold, e.g. “queue in Raw, Junk”, “state_type = "
                "pending reminder”, “created older than 30 days”, “not lock = lock”, "
                "“title contains invoice”, “customer_user is empty”, “field:Name = value”, "
                "“escalation = escalated”, “field:Budget between 10 and 200”."
            ),
        )
        self.schema = schema
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return text.format(value, self.schema())
        return value

    def to_python(self, value: Any) -> dict:  # type: ignore[override]
        if isinstance(value, dict):
            return value
        return text.parse(super().to_python(value) or "", self.schema())
