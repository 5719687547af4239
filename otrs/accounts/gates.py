"""Sign-in gates: rules from higher layers that may refuse a correct password for a while
(the maintenance window of :mod:`otrs.ops` lets only admins in). A gate takes the user whose
password was right and returns a :class:`Refusal` (what to tell, and until when), or None.
Apps register theirs in ``AppConfig.ready()``; every sign-in form (agent, customer, admin)
asks them all, and so does the API for each call made with a token (:mod:`otrs.api`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Refusal:
    message: str
    # When the refusal ends, if the gate knows (the API answers with Retry-After).
    until: datetime | None = None


Gate = Callable[[object], "Refusal | None"]

_gates: list[Gate] = []


def register(gate: Gate) -> None:
    if gate not in _gates:
        _gates.append(gate)


def refusal(user) -> Refusal | None:
    """The first gate's refusal of ``user`` now, or None."""
    for gate in _gates:
        found = gate(user)
        if found is not None:
            return found
    return None


def check(user) -> None:
    """Raise the first gate's refusal as a form error."""
    found = refusal(user)
    if found is not None:
        raise ValidationError(found.message, code="gate")
