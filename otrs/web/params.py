"""Query-string values that views read without a form of their own, cleaned as a form
field would clean them, so that odd input means "nothing asked" instead of an error deeper
down (PostgreSQL refuses a NUL character in any text it compares)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

# Longer than any login, customer id or search term a person types.
MAX_TEXT = 250


def text_param(params, name: str, *, max_length: int = MAX_TEXT) -> str:
    """``params[name]`` stripped; "" when it is missing, longer than ``max_length`` or
    holds a NUL character (Django's CharField refuses those)."""
    field = forms.CharField(required=False, max_length=max_length)
    try:
        return field.clean(params.get(name, ""))
    except ValidationError:
        return ""
