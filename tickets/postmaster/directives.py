"""The ``X-OTRS-*`` headers (spec 3.7): what a trusted sender or a postmaster filter asks the
pipeline to set. Untrusted mail's own ``X-OTRS-*`` headers are ignored; filters may still set
them."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from otrs.accounts.models import User, UserKind

from .. import fields as ticket_fields
from ..models import SLA, Priority, Queue, Service, State, TicketType

logger = logging.getLogger(__name__)

PREFIX = "x-otrs-"

# The names a mail may set (without the prefix, lower case). Ticket fields come in pairs:
# "queue" for a new ticket, "followup-queue" for a follow-up.
_PAIRED = (
    "queue",
    "state",
    "state-pendingtime",
    "priority",
    "lock",
    "type",
    "service",
    "sla",
    "title",
    "owner",
    "ownerid",
    "responsible",
    "responsibleid",
    "sendertype",
    "isvisibleforcustomer",
)
KNOWN = frozenset(
    [*_PAIRED]
    + [f"followup-{name}" for name in _PAIRED]
    + ["customerno", "customeruser", "ignore", "loop", "followup-state-keep"]
)

# X-OTRS-DynamicField-<Name> and X-OTRS-FollowUp-DynamicField-<Name>: custom fields by name.
FIELD_PREFIX = "dynamicfield-"
FOLLOW_UP_FIELD_PREFIX = "followup-dynamicfield-"


def _known(key: str) -> bool:
    return key in KNOWN or (
        key.startswith((FIELD_PREFIX, FOLLOW_UP_FIELD_PREFIX)) and not key.endswith("-")
    )


_TRUE = {"yes", "true", "1", "on"}
_RELATIVE = re.compile(r"^\s*([+-]?)\s*(\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}


class Directives:
    """The ``X-OTRS-*`` values of one mail, keyed without the prefix, case-insensitively."""

    def __init__(self, values: dict[str, str] | None = None):
        self._values: dict[str, str] = {}
        for name, value in (values or {}).items():
            self.set(name, value)

    @classmethod
    def from_headers(cls, headers) -> Directives:
        found = cls()
        for name, value in headers.items_all():
            lowered = name.lower()
            if lowered.startswith(PREFIX) and _known(lowered[len(PREFIX) :]):
                found._values.setdefault(lowered[len(PREFIX) :], value.strip())
        return found

    def set(self, name: str, value: str) -> bool:
        key = name.lower()
        if key.startswith(PREFIX):
            key = key[len(PREFIX) :]
        if not _known(key):
            return False
        self._values[key] = (value or "").strip()
        return True

    def get(self, name: str, *, follow_up: bool = False) -> str:
        key = f"followup-{name}" if follow_up else name
        return self._values.get(key, "")

    def flag(self, name: str) -> bool:
        return self._values.get(name, "").lower() in _TRUE

    def as_dict(self) -> dict[str, str]:
        return dict(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    # --- values resolved against the database: invalid ones are logged and ignored --------

    def field_values(self, *, follow_up: bool = False) -> dict[str, object]:
        """Custom field values (``{name: value}``, parsed by their types) from
        ``X-OTRS-[FollowUp-]DynamicField-<Name>``; unknown fields and refused values are
        logged and ignored, as other X-OTRS values are."""
        prefix = FOLLOW_UP_FIELD_PREFIX if follow_up else FIELD_PREFIX
        wanted = {
            key[len(prefix) :]: value
            for key, value in self._values.items()
            if key.startswith(prefix) and (follow_up or not key.startswith("followup-"))
        }
        if not wanted:
            return {}
        by_name = {d.name.lower(): d for d in ticket_fields.definitions(ticket_fields.TICKET)}
        found: dict[str, object] = {}
        for name, text in wanted.items():
            definition = by_name.get(name)
            if definition is None:
                logger.info("Ignoring X-OTRS dynamic field %r: no such field", name)
                continue
            try:
                found[definition.name] = definition.type.parse(definition, text)
            except ValidationError as exc:
                logger.info("Ignoring X-OTRS dynamic field %s=%r: %s", definition.name, text, exc)
        return found

    def queue(self, *, follow_up: bool = False) -> Queue | None:
        return _lookup(Queue.objects.valid, "full_name", self.get("queue", follow_up=follow_up))

    def state(self, *, follow_up: bool = False) -> State | None:
        return _lookup(State.objects.valid, "name", self.get("state", follow_up=follow_up))

    def priority(self, *, follow_up: bool = False) -> Priority | None:
        return _lookup(Priority.objects.valid, "name", self.get("priority", follow_up=follow_up))

    def ticket_type(self, *, follow_up: bool = False) -> TicketType | None:
        return _lookup(TicketType.objects.valid, "name", self.get("type", follow_up=follow_up))

    def service(self, *, follow_up: bool = False) -> Service | None:
        return _lookup(Service.objects.valid, "full_name", self.get("service", follow_up=follow_up))

    def sla(self, *, follow_up: bool = False) -> SLA | None:
        return _lookup(SLA.objects.valid, "name", self.get("sla", follow_up=follow_up))

    def agent(self, role: str, *, follow_up: bool = False) -> User | None:
        """``owner`` or ``responsible``: the login, else the numeric id."""

        def agents():
            return User.objects.filter(kind=UserKind.AGENT, is_active=True)

        login = self.get(role, follow_up=follow_up)
        if login:
            return _lookup(agents, "username", login)
        pk = self.get(f"{role}id", follow_up=follow_up)
        if pk.isdigit():
            return _lookup(agents, "pk", pk)
        return None

    def pending_time(self, *, follow_up: bool = False) -> datetime | None:
        """An absolute date (``2026-12-01 10:00``) or a relative ``[+-]N[smhd]``."""
        value = self.get("state-pendingtime", follow_up=follow_up)
        if not value:
            return None
        relative = _RELATIVE.match(value)
        if relative:
            sign, amount, unit = relative.groups()
            seconds = int(amount) * _UNITS[unit.lower()]
            return timezone.now() + timedelta(seconds=-seconds if sign == "-" else seconds)
        try:
            parsed = parse_datetime(value.replace("/", "-"))
        except ValueError:
            parsed = None
        if parsed is None:
            logger.info("Ignoring X-OTRS pending time %r: not a date", value)
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed

    def visible(self, *, follow_up: bool = False, default: bool = True) -> bool:
        value = self.get("isvisibleforcustomer", follow_up=follow_up)
        if not value:
            return default
        return value.lower() in _TRUE


def _lookup(queryset, field: str, value: str):
    """The row of ``queryset()`` (called only when there is a value: most mails carry no
    X-OTRS header, and building a queryset for nothing cost a mail about a millisecond)."""
    if not value:
        return None
    found = queryset().filter(**{field: value}).first()
    if found is None:
        logger.info("Ignoring X-OTRS value %r: no valid %s of that name", value, field)
    return found
