"""Throttling of sign-ins and password reset requests, in the database.

What is counted, separately in each :class:`~otrs.accounts.models.ThrottleScope` (agent,
customer and admin sign-in, customer password reset; the API adds its own):

- wrong passwords for one login from one client address: after ``LOGIN_FAILURE_LIMIT`` that
  login waits at that address only, so an outsider guessing a password never locks its owner
  out elsewhere, and one login's failures never block another login;
- failed sign-ins from one address whatever the login: after ``LOGIN_ADDRESS_FAILURE_LIMIT``
  that address waits, and only that address (someone trying many logins);
- password reset requests from one address (the page then says to wait), and reset mails
  per account (beyond the limit no mail is sent, and the page reads as always, so that it
  never tells whether the account exists).

A login counts as typed, in lower case, whether or not it exists: the answer is the same.
IPv6 addresses count per /64 network, the share of one subscriber, who could otherwise
change address at will.

Every counter is one row with a unique key, and an attempt is let through only by an
``UPDATE ... SET attempts = attempts + 1 WHERE ... AND attempts < limit`` that changed a row:
the database serialises those, so of any number of parallel attempts no more than the limit
get to check a password, on every host sharing the database. (The counters used to be in the
cache, whose get-then-increment let parallel attempts through, and were per address only,
which behind a proxy is one address for everyone.) A sign-in that succeeds gives back its
own attempt and clears the count for its login at that address.

Why not django-axes: it counts one lock per user name or per address (or their combination)
across every sign-in form, knows nothing of scopes or of password reset mail, trusts proxies
through django-ipware's settings rather than CIDR networks, and has to be the first
authentication backend; the rules above are short enough to keep here, tested.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otrs import policy

from . import gates
from .client_address import client_address
from .models import ThrottleCounter, ThrottleScope

__all__ = ["ThrottleScope", "ThrottledSignInMixin", "client_address"]

logger = logging.getLogger(__name__)

SIGN_IN_SCOPES = (
    ThrottleScope.AGENT_SIGN_IN,
    ThrottleScope.CUSTOMER_SIGN_IN,
    ThrottleScope.ADMIN_SIGN_IN,
)
MESSAGES = {
    "sign-in": _("Too many failed sign-ins. Please wait a few minutes and try again."),
    "reset": _("Too many password reset requests. Please wait a while and try again."),
}
# The longest login a counter keeps (the user name's length); longer ones cannot exist.
LOGIN_LENGTH = 150


@dataclass(frozen=True)
class Limits:
    """How many attempts a scope allows per login at one address, per address, and per
    account (the password reset's mails), and for how long they are remembered."""

    per_login: int
    per_address: int
    per_account: int
    window: timedelta


def limits(scope: ThrottleScope) -> Limits:
    """The limits in force (the admin's system configuration, else settings.py)."""
    if scope == ThrottleScope.PASSWORD_RESET:
        return Limits(
            per_login=policy.value("password_reset_limit"),
            per_address=policy.value("password_reset_address_limit"),
            per_account=policy.value("password_reset_limit"),
            window=timedelta(minutes=policy.value("password_reset_window_minutes")),
        )
    return Limits(
        per_login=policy.value("login_failure_limit"),
        per_address=policy.value("login_address_failure_limit"),
        per_account=policy.value("login_failure_limit"),
        window=timedelta(minutes=policy.value("login_failure_window_minutes")),
    )


def limit_of(counter: ThrottleCounter) -> int:
    """The limit that applies to one counter row."""
    scope_limits = limits(ThrottleScope(counter.scope))
    if not counter.login:
        return scope_limits.per_address
    if not counter.address:
        return scope_limits.per_account
    return scope_limits.per_login


def locked_counters():
    """The counters that hold something back now (the admin's "current locks")."""
    now = timezone.now()
    full = Q()
    for scope in ThrottleScope:
        scope_limits = limits(scope)
        in_scope = Q(scope=scope)
        full |= in_scope & ~Q(login="") & ~Q(address="") & Q(attempts__gte=scope_limits.per_login)
        full |= in_scope & Q(login="") & Q(attempts__gte=scope_limits.per_address)
        full |= in_scope & Q(address="") & Q(attempts__gte=scope_limits.per_account)
    return ThrottleCounter.objects.filter(full, window_ends__gt=now)


def throttled_error(scope: ThrottleScope) -> ValidationError:
    key = "reset" if scope == ThrottleScope.PASSWORD_RESET else "sign-in"
    return ValidationError(MESSAGES[key], code="throttled")


# --- sign-in ---------------------------------------------------------------------------------


@contextlib.contextmanager
def sign_in_attempt(scope: ThrottleScope, login: str, address: str) -> Iterator[None]:
    """Around one password check: raises the throttled ``ValidationError`` (and checks
    nothing) when the login at this address, or this address, has used up its attempts;
    an exception inside counts as a failure, a normal exit as a success."""
    login = normalise_login(login) or "-"  # blank is the key of the per-address counter
    address = address_bucket(address)
    scope_limits = limits(scope)
    if not _take(scope, login, address, scope_limits.per_login, scope_limits.window):
        raise throttled_error(scope)
    if not _take(scope, "", address, scope_limits.per_address, scope_limits.window):
        _give_back(scope, login, address)
        raise throttled_error(scope)
    yield
    ThrottleCounter.objects.filter(scope=scope, login=login, address=address).delete()
    _give_back(scope, "", address)


# The suffix of a login's counters for second-factor codes: a right password clears the
# login's password counter, and must not give code guesses back.
CODE_SUFFIX = "#code"


@contextlib.contextmanager
def code_attempt(scope: ThrottleScope, login: str, address: str) -> Iterator[None]:
    """Around one check of a second-factor code, after a right password: counted per login
    at this address, per address, and per login at any address (so guesses spread over
    many addresses stop too); a success clears the login's code counters."""
    login = normalise_login(login)[: LOGIN_LENGTH - len(CODE_SUFFIX)] + CODE_SUFFIX
    address = address_bucket(address)
    scope_limits = limits(scope)
    if not _take(scope, login, address, scope_limits.per_login, scope_limits.window):
        raise throttled_error(scope)
    if not _take(scope, "", address, scope_limits.per_address, scope_limits.window):
        _give_back(scope, login, address)
        raise throttled_error(scope)
    if not _take(scope, login, "", scope_limits.per_account, scope_limits.window):
        _give_back(scope, login, address)
        _give_back(scope, "", address)
        raise throttled_error(scope)
    yield
    ThrottleCounter.objects.filter(scope=scope, login=login).delete()
    _give_back(scope, "", address)


class ThrottledSignInMixin:
    """For a subclass of Django's ``AuthenticationForm``: the password is checked only
    while the login at the client's address and the address have attempts left in
    ``throttle_scope``; a refusal of any kind (wrong password, an account that may not sign
    in here) counts as a failure."""

    throttle_scope: ThrottleScope

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # nothing is checked, so nothing is counted
        with sign_in_attempt(self.throttle_scope, username, client_address(self.request)):
            cleaned = super().clean()
        # After the count: a right password refused for a while (a maintenance window lets
        # admins only in) is no failed attempt.
        gates.check(self.get_user())
        return cleaned


# --- password reset --------------------------------------------------------------------------


def take_reset_request(address: str) -> None:
    """Counts one password reset request from ``address``; raises the throttled
    ``ValidationError`` once the address has used up its requests."""
    scope = ThrottleScope.PASSWORD_RESET
    scope_limits = limits(scope)
    if not _take(scope, "", address_bucket(address), scope_limits.per_address, scope_limits.window):
        raise throttled_error(scope)


def take_reset_mail(login: str) -> bool:
    """Whether one more reset mail may go to the account ``login`` (and counts it)."""
    scope = ThrottleScope.PASSWORD_RESET
    scope_limits = limits(scope)
    allowed = _take(
        scope, normalise_login(login), "", scope_limits.per_account, scope_limits.window
    )
    if not allowed:
        logger.info("No password reset mail for %s: its limit is reached.", login)
    return allowed


# --- keys ------------------------------------------------------------------------------------


def normalise_login(login: str) -> str:
    return login.strip().lower()[:LOGIN_LENGTH]


def address_bucket(address: str) -> str:
    """The address as counted: an IPv4 address as it is, an IPv6 address as its /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:45]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


# --- the counters ----------------------------------------------------------------------------


def _take(scope: str, login: str, address: str, limit: int, window: timedelta) -> bool:
    """Counts one attempt if the counter has one left in its window; whether it had.

    Each statement stands alone (autocommit), so no row stays locked while a password is
    hashed, and no gap lock of a failed lookup can deadlock two first attempts on MariaDB.
    """
    key = {"scope": scope, "login": login, "address": address}
    for _round in range(3):
        now = timezone.now()
        counter = ThrottleCounter.objects.filter(**key)
        # A window that has passed starts again (only one of several racing resets matches).
        counter.filter(window_ends__lte=now).update(attempts=0, window_ends=now + window)
        if counter.filter(attempts__lt=limit).update(attempts=F("attempts") + 1):
            return True
        if counter.filter(attempts__gte=limit).exists():
            return False
        # No row when the update ran. Another first attempt may have made it since (with
        # attempts left): then the next round counts this one there. Answering "full" just
        # because the row exists now let fewer than ``limit`` of a burst of first attempts
        # through (the concurrency test saw 3 of 4).
        if not counter.exists():
            _forget_expired(now)
            ThrottleCounter.objects.bulk_create(
                [ThrottleCounter(**key, attempts=0, window_ends=now + window)],
                ignore_conflicts=True,
            )
    # The row vanished under us every time (the admin lifting locks as fast as we write).
    return False


def _give_back(scope: str, login: str, address: str) -> None:
    ThrottleCounter.objects.filter(
        scope=scope, login=login, address=address, attempts__gt=0
    ).update(attempts=F("attempts") - 1)


def _forget_expired(now) -> None:
    """Counters whose window ended a day ago are of no use any more, not even to look at;
    removed whenever a new counter is made, so the table stays the size of a day's use."""
    ThrottleCounter.objects.filter(window_ends__lt=now - timedelta(days=1)).delete()
