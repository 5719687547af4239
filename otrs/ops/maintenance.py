"""The upgrade's maintenance flag: while ``manage.py upgrade`` runs, every request but the
probes gets 503 with Retry-After, so no one writes into a database that is being migrated or
restored. A file under ``OTRS_VAR_DIR`` (not a database row: the database is what the
upgrade may replace); with several web hosts, ``OTRS_VAR_DIR`` must be shared or the flag
set on each (see the README)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

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
