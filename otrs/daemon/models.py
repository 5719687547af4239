"""The daemon's sign of life: a row per kind of beat, written by a worker."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a worker last ran the heartbeat task that beat sends every minute (so a fresh row
    proves that beat, the broker and a worker all work); read by ``checkenvironment``."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    at = models.DateTimeField(_("last beat"))
    hostname = models.CharField(_("host"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name
