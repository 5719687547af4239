"""Business policy settings editable in the admin (OTRS's System Configuration, for the
settings that are policy, not secrets or infrastructure).

An app declares its settings in a ``policy_settings`` module (``settings = [Definition(...)]``),
found like ``admin_modules``. Code reads a value with :func:`value`: the one stored in the
database if an admin changed it, else the Django setting it falls back to (``settings.py``,
from the environment). Changes go through :mod:`otrs.policy.actions`, which validates them,
keeps a history (who, when, old, new) and drops the cached values.
"""

from .registry import Definition, definition, definitions, value

__all__ = ["Definition", "definition", "definitions", "value"]
