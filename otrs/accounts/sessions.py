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
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from .client_address import client_address
from .models import User
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
        session = Session.objects.filter(session_key=session_key).first()
        if session is None:
            return None
        user_id = session.get_decoded().get(SESSION_KEY)
        session.delete()
        user = User.objects.filter(pk=user_id).first() if user_id else None
        logger.info(
            "%s ended the session of %s", actor.get_username(), user.get_username() if user else "-"
        )
        return user
    return None
