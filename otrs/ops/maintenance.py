"""Maintenance: the upgrade's flag, and the maintenance windows admins schedule.

The upgrade's maintenance flag: while ``manage.py upgrade`` runs, every request but the
probes gets 503 with Retry-After, so no one writes into a database that is being migrated or
restored. A file under ``OTRS_VAR_DIR`` (not a database row: the database is what the
upgrade may replace); with several web hosts, ``OTRS_VAR_DIR`` must be shared or the flag
set on each (see the README)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from otrs.accounts.gates import Refusal

from .models import MaintenanceWindow

# Liveness stays up (the process is fine); readiness says 503 through the flag.
PASS = ("/healthz",)


def flag() -> Path:
    return Path(settings.VAR_DIR) / "upgrade-in-progress"


def active() -> bool:
    return flag().exists()


@contextlib.contextmanager
def on(reason: str) -> Iterator[None]:
    path = flag()
    path.write_text(f"{timezone.now().isoformat()} {reason}\n")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


class UpgradeMaintenanceMiddleware:
    """First in the chain: touches neither the session nor the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PASS or not active():
            return self.get_response(request)
        response = HttpResponse(
            _("The help desk is being upgraded. Please try again in a few minutes.") + "\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = "120"
        return response


# --- scheduled maintenance windows (OTRS's System Maintenance) ----------------------------------


# The windows not yet ended, cached: every page with the banner asks, so that the pages cost
# no query of their own. Saving or deleting a window drops the copy (signals in apps.py);
# the timeout bounds what another host with its own cache may miss.
CACHE_KEY = "otrs.ops.maintenance.windows"
CACHE_SECONDS = 60


def _upcoming(now) -> list:

    windows = cache.get(CACHE_KEY)
    if windows is None:
        windows = list(MaintenanceWindow.objects.filter(ends_at__gt=now).order_by("starts_at"))
        cache.set(CACHE_KEY, windows, CACHE_SECONDS)
    return [window for window in windows if window.ends_at > now]


def forget(**kwargs) -> None:
    """Drop the cached windows (a ``post_save``/``post_delete`` receiver)."""
    cache.delete(CACHE_KEY)


def announced(now=None):
    """The window whose banner shows now (announced or running), the earliest first; None
    when there is none."""
    now = now or timezone.now()
    return next((window for window in _upcoming(now) if window.is_announced(now)), None)


def running(now=None):
    """The window in force now, or None."""
    now = now or timezone.now()
    return next((window for window in _upcoming(now) if window.is_active(now)), None)


def may_sign_in(user) -> bool:
    """During a window only administrators (active staff agents) sign in."""
    return bool(user.is_staff and getattr(user, "is_agent", False))


def sign_in_gate(user) -> Refusal | None:
    """The refusal for ``user`` signing in (or calling the API with a token) now, or None
    (registered with :mod:`otrs.accounts.gates`, which every sign-in form and the API ask)."""
    if may_sign_in(user):
        return None
    window = running()
    if window is None:
        return None
    message = _(
        "The help desk is in maintenance until %(end)s; only administrators can sign in now."
    ) % {"end": formats.date_format(timezone.localtime(window.ends_at), "SHORT_DATETIME_FORMAT")}
    return Refusal(message, until=window.ends_at)
