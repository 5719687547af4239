"""Creating, checking and revoking personal access tokens: the only writes of this package.

A token reads ``otrs_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole
token is compared in constant time. Tokens are 190 random bits, so a plain hash (no slow
password hash) is safe and keeps each request at one indexed look-up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs import policy
from otrs.errors import DomainError, ErrorCode

from .models import AccessToken

PREFIX = "otrs_"
# last_used_at is written at most this often per token (a conditional update), so a busy
# client costs no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user, *, name: str, scope: str, expires_at: datetime, actor
) -> tuple[AccessToken, str]:
    """A new token of ``user``; returns the row and the token (shown once, never stored).
    ``actor`` is the user themselves or an administrator."""
    if actor.pk != user.pk and not actor.is_superuser:
        raise DomainError(_("You may not create tokens for others."), code=ErrorCode.NOT_ALLOWED)
    now = timezone.now()
    days = policy.value("api_token_max_days")
    longest = timedelta(days=days)
    if expires_at <= now or expires_at > now + longest + timedelta(days=1):
        raise DomainError(
            _("A token expires after today and within %(days)s days.") % {"days": days},
            code=ErrorCode.NOT_ALLOWED,
            field="expires_at",
        )
    prefix = secrets.token_hex(6)
    plain = f"{PREFIX}{prefix}_{secrets.token_urlsafe(24)}"
    with transaction.atomic():
        token = AccessToken.objects.create(
            user=user,
            name=name.strip()[:100] or _("Token"),
            prefix=prefix,
            token_hash=_digest(plain),
            scope=scope,
            created_at=now,
            expires_at=expires_at,
        )
    return token, plain


def revoke_token(token: AccessToken, *, actor) -> AccessToken:
    """Revoke ``token`` (its owner or an administrator); revoking twice changes nothing."""
    if actor.pk != token.user_id and not actor.is_superuser:
        raise DomainError(_("You may not revoke this token."), code=ErrorCode.NOT_ALLOWED)
    AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return token


def find_token(plain: str) -> AccessToken | None:
    """The active token ``plain`` is, with its user; ``None`` for anything else."""
    if not plain.startswith(PREFIX):
        return None
    prefix, _sep, secret = plain[len(PREFIX) :].partition("_")
    if not secret or len(prefix) != 12 or len(plain) > 200:
        return None
    token = AccessToken.objects.active().select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.token_hash, _digest(plain)):
        return None
    return token


def mark_used(token: AccessToken) -> None:
    """Record use, at most once per :data:`LAST_USED_RESOLUTION` (a conditional update)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    AccessToken.objects.filter(pk=token.pk).exclude(
        last_used_at__gt=now - LAST_USED_RESOLUTION
    ).update(last_used_at=now)
    token.last_used_at = now
