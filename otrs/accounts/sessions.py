"""The running sessions (agents and customers) as an administrator sees them, and ending one.

Sessions live in Django's database backend (``SESSION_ENGINE``); the user is inside the
encoded data, so the list decodes the newest sessions that have not expired. At sign-in the
session also keeps the client's address, browser and the time, for this list.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .client_address import client_address
from .models import AccountEvent, AccountEventKind, User, UserKind
from .session_store import idle_seconds

SIGNED_IN_AT = "otrs_signed_in_at"
ADDRESS = "otrs_address"
USER_AGENT = "otrs_user_agent"
logger = logging.getLogger(__name__)

# The list shows at most this many sessions (the newest activity first).
LIMIT = 500


@dataclass(frozen=True)
class RunningSession:
    key_hash: str  # what the page shows and posts back: never the key itself
    user: User
    signed_in_at: datetime | None
    last_seen_at: datetime
    expires_at: datetime
    address: str
    user_agent: str


def record_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: remember where and when, for the admin's list."""
    request.session[SIGNED_IN_AT] = timezone.now().isoformat()
    request.session[ADDRESS] = client_address(request)
    request.session[USER_AGENT] = request.headers.get("User-Agent", "")[:200]


def key_hash(session_key: str) -> str:
    """A stable stand-in for a session key (the key is a password: it never reaches a page)."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()[:24]


def running(*, kind: str = "", text: str = "") -> list[RunningSession]:
    """The sessions not yet expired that belong to a user, newest activity first."""
    now = timezone.now()
    rows = list(
        Session.objects.filter(expire_date__gt=now)
        .order_by("-expire_date")[:LIMIT]
        .values_list("session_key", "session_data", "expire_date")
    )
    decoded = []
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for session_key, data, expire_date in rows:
        values = store.decode(data)
        user_id = values.get(SESSION_KEY)
        if user_id is not None:
            decoded.append((session_key, values, expire_date, str(user_id)))
    users = User.objects.in_bulk({int(uid) for *_r, uid in decoded if uid.isdigit()})
    age = timedelta(seconds=idle_seconds())
    result = []
    needle = text.casefold()
    for session_key, values, expire_date, user_id in decoded:
        user = users.get(int(user_id)) if user_id.isdigit() else None
        if user is None or (kind and user.kind != kind):
            continue
        if needle and needle not in f"{user.username} {user.get_full_name()}".casefold():
            continue
        signed_in = values.get(SIGNED_IN_AT)
        result.append(
            RunningSession(
                key_hash=key_hash(session_key),
                user=user,
                signed_in_at=datetime.fromisoformat(signed_in) if signed_in else None,
                # A session is renewed at most once a minute (IdleSessionRenewalMiddleware), so
                # its expiry tells the last request to within a minute.
                last_seen_at=expire_date - age,
                expires_at=expire_date,
                address=values.get(ADDRESS, ""),
                user_agent=values.get(USER_AGENT, ""),
            )
        )
    return result


def end_session(hashed: str, *, actor: User) -> User | None:
    """End the running session shown as ``hashed``; returns whose it was, or None when it
    has already ended (or never was). The next request of its browser is signed out."""
    keys = Session.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", flat=True
    )
    for session_key in keys.iterator():
        if key_hash(session_key) != hashed:
            continue
        with transaction.atomic():
            session = Session.objects.select_for_update().filter(session_key=session_key).first()
            if session is None:
                return None
            user_id = session.get_decoded().get(SESSION_KEY)
            session.delete()
            user = User.objects.filter(pk=user_id).first() if user_id else None
            if user is not None:
                _record(user, actor, count=1, scope="one")
        logger.info(
            "%s ended the session of %s", actor.get_username(), user.get_username() if user else "-"
        )
        return user
    return None


class Scope(models.TextChoices):
    """Whose sessions :func:`end_sessions` ends."""

    AGENTS = "agents", _("all agents' sessions")
    CUSTOMERS = "customers", _("all customers' sessions")
    USER = "user", _("all sessions of one user")


def _matcher(scope: str, user: User | None):
    if scope == Scope.USER:
        if user is None:
            raise ValueError("Ending one user's sessions needs the user.")
        return lambda uid, users: uid == user.pk
    kind = {Scope.AGENTS: UserKind.AGENT, Scope.CUSTOMERS: UserKind.CUSTOMER}[Scope(scope)]
    return lambda uid, users: users[uid].kind == kind


def count_sessions(scope: str, *, user: User | None = None, keep: str | None = None) -> int:
    """How many sessions :func:`end_sessions` would end now (for its confirmation)."""
    return len(_matching(_matcher(scope, user), keep)[0])


def end_sessions(
    scope: str, *, actor: User, user: User | None = None, keep: str | None = None
) -> dict[int, int]:
    """End every running session of agents, of customers, or of ``user`` (``scope``), but
    not the session whose key is ``keep`` (the admin's own). One history row per user whose
    sessions ended; returns the number ended per user id."""
    return _end_where(_matcher(scope, user), actor=actor, keep=keep, scope=scope)


def end_other_sessions(request) -> int:
    """The signed-in user's "sign out everywhere else": every other session of theirs ends."""
    user = request.user
    ended = _end_where(
        lambda uid, users: uid == user.pk,
        actor=user,
        keep=request.session.session_key,
        scope="others",
    )
    return ended.get(user.pk, 0)


def sign_out_elsewhere(request, *, back: str) -> HttpResponse:
    """The portals' "sign out everywhere else" (POST): ends the user's other sessions, says
    how many, and goes back to ``back`` (a URL name)."""
    count = end_other_sessions(request)
    messages.success(
        request,
        ngettext(
            "You were signed out of %(count)d other session.",
            "You were signed out of %(count)d other sessions.",
            count,
        )
        % {"count": count},
    )
    return redirect(back)


def _matching(match, keep: str | None) -> tuple[dict[str, int], dict[int, User]]:
    """The running sessions (key: user id) ``match`` chooses, but ``keep``; and their users."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    found: dict[str, int] = {}
    rows = Session.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", "session_data"
    )
    for session_key, data in rows.iterator(chunk_size=2000):
        user_id = str(store.decode(data).get(SESSION_KEY, ""))
        if session_key != keep and user_id.isdigit():
            found[session_key] = int(user_id)
    users = User.objects.in_bulk(set(found.values()))
    chosen = {key: uid for key, uid in found.items() if uid in users and match(uid, users)}
    return chosen, users


def _end_where(match, *, actor: User, keep: str | None, scope: str) -> dict[int, int]:
    chosen, users = _matching(match, keep)
    ended: dict[int, int] = {}
    with transaction.atomic():
        keys = list(chosen)
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            # Only what still exists counts (a session may end meanwhile).
            still = set(
                Session.objects.filter(session_key__in=batch).values_list("session_key", flat=True)
            )
            Session.objects.filter(session_key__in=still).delete()
            for key in still:
                ended[chosen[key]] = ended.get(chosen[key], 0) + 1
        for user_id, count in ended.items():
            _record(users[user_id], actor, count=count, scope=scope)
    logger.info("%s ended %d sessions (%s)", actor.get_username(), sum(ended.values()), scope)
    return ended


def _record(user: User, actor: User, *, count: int, scope: str) -> None:
    AccountEvent.objects.create(
        user=user,
        actor=actor,
        kind=AccountEventKind.SESSIONS_ENDED,
        data={"count": count, "scope": scope},
    )
