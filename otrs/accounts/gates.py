"""Sign-in gates: rules from higher layers that may refuse a correct password for a while
(the maintenance window of :mod:`otrs.ops` lets only admins in). A gate takes the user whose
password was right and returns the refusal to show, or None. Apps register theirs in
``AppConfig.ready()``; every sign-in form (agent, customer, admin) asks them all."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError

Gate = Callable[[object], "str | None"]

_gates: list[Gate] = []


def register(gate: Gate) -> None:
    if gate not in _gates:
        _gates.append(gate)


def check(user) -> None:
    """Raise the first gate's refusal as a form error."""
    for gate in _gates:
        message = gate(user)
        if message:
            raise ValidationError(message, code="gate")
