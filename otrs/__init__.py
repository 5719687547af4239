"""The project package: settings, URLs, the Celery app and cross-cutting sub-packages.

The Celery app is loaded lazily (``otrs.celery_app``, and by the daemon app's ``ready()`` when
Django starts), so that importing a light module of the package, the MTA pipe
(:mod:`otrs.mail.pipe`) above all, does not pay for Celery and Django on every delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    celery_app: Celery

__all__ = ["celery_app"]


def __getattr__(name: str) -> Any:
    if name == "celery_app":
        # Imported here: loading Celery with ``import otrs`` would cost every MTA pipe
        # delivery a third of a second (the pipe needs no Celery).
        from .celery import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
