"""Every change of a policy setting: validated by its definition, one history row each, the
cached values dropped after the change commits."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import registry
from .models import PolicyChange, PolicyValue


def clean(key: str, raw: Any) -> Any:
    """The value as stored, or ``ValidationError`` with the field's message."""
    return registry.definition(key).form_field().clean(raw)


def set_value(key: str, raw: Any, *, actor) -> PolicyChange | None:
    """Store ``raw`` (validated) for ``key``; None when it changes nothing."""
    new = clean(key, raw)
    with transaction.atomic():
        row = PolicyValue.objects.select_for_update().filter(key=key).first()
        old = row.value if row else None
        if row is not None and row.value == new:
            return None
        if row is None and new == registry.definition(key).default():
            return None  # the default stays the default (it follows settings.py)
        now = timezone.now()
        if row is None:
            PolicyValue.objects.create(key=key, value=new, changed_at=now, changed_by=actor)
        else:
            row.value, row.changed_at, row.changed_by = new, now, actor
            row.save(update_fields=["value", "changed_at", "changed_by"])
        change = PolicyChange.objects.create(
            key=key, old=old, new=new, changed_at=now, changed_by=actor
        )
        registry.forget()
        transaction.on_commit(registry.forget)
    return change


def reset(key: str, *, actor) -> PolicyChange | None:
    """Back to the default from ``settings.py``; None when it was the default already."""
    registry.definition(key)  # an unknown key raises KeyError
    with transaction.atomic():
        row = PolicyValue.objects.select_for_update().filter(key=key).first()
        if row is None:
            return None
        old = row.value
        row.delete()
        change = PolicyChange.objects.create(
            key=key, old=old, new=None, changed_at=timezone.now(), changed_by=actor
        )
        registry.forget()
        transaction.on_commit(registry.forget)
    return change


__all__ = ["ValidationError", "clean", "reset", "set_value"]
