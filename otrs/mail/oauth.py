"""OAuth2 for mail accounts (Microsoft 365, Google Workspace, or any provider with its own
authorization and token URLs): the authorization-code flow that connects an account, the
refresh before each use, and the SASL ``XOAUTH2`` string IMAP, POP3 and SMTP log in with.

The HTTP side is Authlib's OAuth2 client (on requests), with PKCE (S256) for every provider:
Microsoft's and Google's token endpoints accept it from confidential clients, and a server
that does not know it ignores the parameters (RFC 7636, 4.5).

Refreshing takes a row lock on the account and saves what the token endpoint answered in the
same transaction: a provider that rotates refresh tokens (Microsoft always, Google
sometimes) has revoked the old one by the time it answers, so losing the new one would lose
the mailbox. Two workers refreshing at once queue on the lock; the second finds the fresh
token and uses it instead of asking again.

A refresh the provider refuses for good (``invalid_grant``: revoked, expired, password
changed; or the client itself refused) marks the account "needs reconnecting" with the
provider's error and alerts the administrators once, by system mail. A token endpoint that
is away or slow (connection and read timeouts: ``MAIL_OAUTH_TIMEOUTS``) is only this run's
failure; the next run tries again.

Tokens are secrets: they never appear in a log line, an error text or a page.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import MailAccount, OAuthProvider, TokenState, fetch_error_text
from .outbound import queue_system_mail

logger = logging.getLogger(__name__)

# An access token that expires within this margin is refreshed before use: a run must not
# start with a token that runs out while it logs in.
REFRESH_MARGIN = timedelta(minutes=2)
# Token endpoint errors after which only the administrator can help (RFC 6749, 5.2).
FATAL_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


@dataclass(frozen=True)
class Provider:
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    # Extra parameters of the authorization request.
    authorize_params: tuple[tuple[str, str], ...] = ()


PROVIDERS = {
    OAuthProvider.MICROSOFT: Provider(
        authorize_url="https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_url="https://login.microsoftonline.com/common/oauth2/v2.0/token",  # noqa: S106
        scopes=(
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/POP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send",
            "offline_access",
        ),
    ),
    OAuthProvider.GOOGLE: Provider(
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",  # noqa: S106
        scopes=("https://mail.google.com/",),
        # Without these Google hands out no refresh token (or only on the first consent).
        authorize_params=(("access_type", "offline"), ("prompt", "consent")),
    ),
}


class TokenError(Exception):
    """No usable access token; ``needs_reconnect`` when only a new authorization helps.
    The message is translated and holds no token."""

    def __init__(self, code: str, *, needs_reconnect: bool = False, **params) -> None:
        super().__init__(code)
        # A code of otrs.mail.models.FETCH_ERROR_TEXTS and its figures: the fetch stores
        # them on the account, shown in the reader's language.
        self.code, self.params = code, params
        self.needs_reconnect = needs_reconnect

    def __str__(self) -> str:
        return fetch_error_text(self.code, self.params)


# --- provider settings ---------------------------------------------------------------------------


def default_scopes(provider: str) -> str:
    known = PROVIDERS.get(OAuthProvider(provider)) if provider in OAuthProvider.values else None
    return " ".join(known.scopes) if known else ""


def scopes(account: MailAccount) -> str:
    return account.oauth_scopes.strip() or default_scopes(account.oauth_provider)


def endpoints(account: MailAccount) -> tuple[str, str]:
    """(authorization URL, token URL) of the account's provider."""
    known = PROVIDERS.get(OAuthProvider(account.oauth_provider or OAuthProvider.CUSTOM))
    if known is not None:
        return known.authorize_url, known.token_url
    return account.oauth_authorize_url, account.oauth_token_url


def _timeouts() -> tuple[float, float]:
    connect, read = settings.MAIL_OAUTH_TIMEOUTS
    return float(connect), float(read)


def _session(account: MailAccount, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client_id=account.oauth_client_id,
        client_secret=account.oauth_client_secret or None,
        scope=scopes(account),
        code_challenge_method="S256",
        # The client secret in the request body: what every provider accepts.
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method's name
        **kwargs,
    )


# --- connecting: the authorization-code flow -----------------------------------------------------


@dataclass(frozen=True)
class Authorization:
    """Where to send the administrator, and what the callback needs to finish (kept in the
    administrator's session, never in the URL)."""

    url: str
    state: str
    code_verifier: str


def start_authorization(account: MailAccount, redirect_uri: str) -> Authorization:
    authorize_url, _token_url = endpoints(account)
    if not (account.oauth_client_id and authorize_url):
        raise TokenError("oauth_setup")
    verifier = secrets.token_urlsafe(64)
    state = secrets.token_urlsafe(32)
    known = PROVIDERS.get(OAuthProvider(account.oauth_provider or OAuthProvider.CUSTOM))
    extra = dict(known.authorize_params) if known else {}
    with _session(account, redirect_uri=redirect_uri) as session:
        url, _state = session.create_authorization_url(
            authorize_url, state=state, code_verifier=verifier, **extra
        )
    return Authorization(url=url, state=state, code_verifier=verifier)


def finish_authorization(
    account: MailAccount, *, code: str, redirect_uri: str, code_verifier: str
) -> MailAccount:
    """Trade the code for tokens and store them on the account (the account is connected
    again, whatever its token state was). Raises :class:`TokenError`."""
    _authorize_url, token_url = endpoints(account)
    try:
        with _session(account, redirect_uri=redirect_uri) as session:
            token = session.fetch_token(
                token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=_timeouts(),
            )
    except AuthlibBaseError as exc:
        raise TokenError("oauth_refused", error=_oauth_error(exc)) from None
    except (requests.RequestException, ValueError) as exc:
        raise TokenError("oauth_unreachable", reason=type(exc).__name__) from None
    if not token.get("access_token"):
        raise TokenError("oauth_no_token")
    now = timezone.now()
    with transaction.atomic():
        locked = MailAccount.objects.select_for_update().get(pk=account.pk)
        locked.oauth_access_token = token["access_token"]
        locked.oauth_refresh_token = token.get("refresh_token") or ""
        locked.oauth_expires_at = _expiry(token, now)
        locked.oauth_state = TokenState.CONNECTED
        locked.oauth_error = ""
        locked.oauth_connected_at = now
        locked.save(update_fields=[*_TOKEN_FIELDS, "oauth_connected_at"])
    logger.info("Mail account %s: connected through OAuth2", locked.name)
    return locked


# --- using: a fresh access token -----------------------------------------------------------------

_TOKEN_FIELDS = [
    "oauth_access_token",
    "oauth_refresh_token",
    "oauth_expires_at",
    "oauth_state",
    "oauth_error",
]


def _fresh(account: MailAccount, now: datetime) -> bool:
    if not account.oauth_access_token or account.oauth_state == TokenState.NEEDS_RECONNECT:
        return False
    return account.oauth_expires_at is None or account.oauth_expires_at - REFRESH_MARGIN > now


def access_token(account: MailAccount) -> str:
    """A valid access token for ``account``, refreshed first if it expires soon; the
    account object gets the stored token fields. Raises :class:`TokenError`.

    Call it outside a transaction: the refresh commits on its own, so that a rotated refresh
    token is saved even if what the caller does next fails."""
    now = timezone.now()
    if _fresh(account, now):
        return account.oauth_access_token
    if connection.vendor == "sqlite":
        failure = _refresh_without_row_locks(account, now)
    else:
        with transaction.atomic():
            # The row lock is held while the token endpoint answers (within its timeouts):
            # a second worker waits here, then finds the fresh token and asks nothing.
            locked = MailAccount.objects.select_for_update().get(pk=account.pk)
            failure = _check(locked, now)
            if failure is None and not _fresh(locked, now):
                failure = _settle(locked, _ask(locked), now)
            _copy_tokens(locked, account)
    if failure is not None:
        raise failure
    return account.oauth_access_token


def _refresh_without_row_locks(account: MailAccount, now: datetime) -> TokenError | None:
    """SQLite has no row locks, and a transaction there that waits for the token endpoint
    would hold up every write of every account. So a refresh claims the account with a
    conditional UPDATE (a short transaction) and asks the endpoint outside any transaction;
    a second worker waits for the claim to go, then finds the fresh token."""
    pk = account.pk
    connect, read = _timeouts()
    claim_seconds = connect + read + 5
    give_up_at = time.monotonic() + claim_seconds
    while True:
        current = MailAccount.objects.get(pk=pk)
        failure = _check(current, now)
        if failure is not None or _fresh(current, now):
            _copy_tokens(current, account)
            return failure
        stamp = timezone.now()
        claimed = (
            MailAccount.objects.filter(pk=pk)
            .filter(
                Q(oauth_refresh_claimed_until__isnull=True)
                | Q(oauth_refresh_claimed_until__lt=stamp)
            )
            .update(oauth_refresh_claimed_until=stamp + timedelta(seconds=claim_seconds))
        )
        if claimed:
            break
        if time.monotonic() > give_up_at:
            return TokenError("oauth_busy")
        time.sleep(0.2)
    try:
        current = MailAccount.objects.get(pk=pk)  # what the previous claim holder stored
        failure = _check(current, now)
        if failure is None and not _fresh(current, now):
            answer = _ask(current)
            with transaction.atomic():
                current = MailAccount.objects.get(pk=pk)
                failure = _settle(current, answer, now)
        _copy_tokens(current, account)
        return failure
    finally:
        MailAccount.objects.filter(pk=pk).update(oauth_refresh_claimed_until=None)


def _check(locked: MailAccount, now: datetime) -> TokenError | None:
    """Why no refresh can be tried, or None."""
    if _fresh(locked, now):
        return None
    if locked.oauth_state == TokenState.NEEDS_RECONNECT:
        if not locked.oauth_error:
            return TokenError("oauth_no_refresh", needs_reconnect=True)
        return TokenError("oauth_reconnect", needs_reconnect=True, error=locked.oauth_error)
    if not locked.oauth_refresh_token:
        return _give_up(locked, "", code="oauth_no_refresh")
    return None


@dataclass(frozen=True)
class _Refusal:
    error: str  # the provider's own words (or the exception's name), never translated
    fatal: bool  # only a new authorization helps
    code: str = "oauth_refresh"  # of FETCH_ERROR_TEXTS, with ``error`` as its figure


def _ask(account: MailAccount) -> dict | _Refusal:
    """The token endpoint's answer to the refresh grant (no transaction needed)."""
    _authorize_url, token_url = endpoints(account)
    try:
        with _session(account) as session:
            token = session.refresh_token(
                token_url, refresh_token=account.oauth_refresh_token, timeout=_timeouts()
            )
    except AuthlibBaseError as exc:
        return _Refusal(_oauth_error(exc), getattr(exc, "error", None) in FATAL_ERRORS)
    except (requests.RequestException, ValueError) as exc:  # ValueError: not a JSON answer
        logger.warning(
            "Mail account %s: token endpoint unreachable (%s)", account.name, type(exc).__name__
        )
        return _Refusal(type(exc).__name__, False, code="oauth_unreachable")
    return dict(token)


def _settle(locked: MailAccount, answer: dict | _Refusal, now: datetime) -> TokenError | None:
    """Store the endpoint's answer on the (locked) account, or its refusal."""
    if isinstance(answer, _Refusal):
        if answer.fatal:
            return _give_up(locked, answer.error)
        if answer.code == "oauth_unreachable":
            return TokenError(answer.code, reason=answer.error)
        return TokenError(answer.code, error=answer.error)
    if not answer.get("access_token"):
        return TokenError("oauth_no_token")
    locked.oauth_access_token = answer["access_token"]
    # A rotated refresh token replaces the old one (which the provider has revoked now);
    # a provider that does not rotate leaves it out, and the old one stays.
    if answer.get("refresh_token"):
        locked.oauth_refresh_token = answer["refresh_token"]
    locked.oauth_expires_at = _expiry(answer, now)
    locked.oauth_state = TokenState.CONNECTED
    locked.oauth_error = ""
    locked.save(update_fields=_TOKEN_FIELDS)
    logger.info("Mail account %s: access token refreshed", locked.name)
    return None


def _give_up(locked: MailAccount, error: str, *, code: str = "oauth_reconnect") -> TokenError:
    """Mark the account "needs reconnecting" and alert the administrators, once per state
    change (a later run finds the mark and asks nobody). ``error``: the provider's own words
    (stored in ``oauth_error``, shown inside one translated sentence; see
    :attr:`MailAccount.oauth_error_text`), empty when there are none (``code`` says why)."""
    alert = locked.oauth_state != TokenState.NEEDS_RECONNECT
    locked.oauth_state = TokenState.NEEDS_RECONNECT
    locked.oauth_error = error
    locked.oauth_access_token = ""
    with transaction.atomic():  # the mark and the alert together, or neither
        locked.save(update_fields=_TOKEN_FIELDS)
        if alert:
            _alert_admins(locked, locked.oauth_error_text)
    logger.warning("Mail account %s: OAuth2 token needs reconnecting: %s", locked.name, code)
    if code != "oauth_reconnect":
        return TokenError(code, needs_reconnect=True)
    return TokenError(code, needs_reconnect=True, error=error)


def _alert_admins(account: MailAccount, error: str) -> None:
    since = account.oauth_connected_at.isoformat() if account.oauth_connected_at else "never"
    """``error``: the account's token error as one sentence (see ``oauth_error_text``)."""
    users = get_user_model().objects.filter(is_active=True, is_superuser=True).exclude(email="")
    for address in sorted({user.email for user in users}):
        queue_system_mail(
            to=address,
            subject=_("Mail account %(account)s must be connected again") % {"account": account},
            body=_(
                "%(error)s No mail is fetched from the mail account %(account)s until an "
                "administrator connects it again: open the account in the administration and "
                "click “Connect”."
            )
            % {"account": account, "error": error},
            idempotency_key=f"mail-oauth-reconnect:{account.pk}:{since}:{address}"[:255],
        )


def _copy_tokens(source: MailAccount, target: MailAccount) -> None:
    for name in _TOKEN_FIELDS:
        setattr(target, name, getattr(source, name))


def _expiry(token: dict, now: datetime) -> datetime | None:
    try:
        seconds = int(token.get("expires_in") or 0)
    except (TypeError, ValueError):
        seconds = 0
    return now + timedelta(seconds=seconds) if seconds > 0 else None


def _oauth_error(exc: AuthlibBaseError) -> str:
    """The provider's error code and description (never a token)."""
    error = getattr(exc, "error", None) or type(exc).__name__
    description = getattr(exc, "description", None)
    return f"{error}: {description}" if description else str(error)


# --- SASL XOAUTH2 --------------------------------------------------------------------------------


def xoauth2(user: str, token: str) -> bytes:
    """The XOAUTH2 initial client response (before base64), as Google and Microsoft define it."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


__all__ = [
    "PROVIDERS",
    "Authorization",
    "TokenError",
    "access_token",
    "default_scopes",
    "endpoints",
    "finish_authorization",
    "scopes",
    "start_authorization",
    "xoauth2",
]
