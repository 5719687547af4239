"""Maintenance windows (OTRS's *System Maintenance*): when the help desk is announced to be
down, what agents and customers are told, and who may sign in meanwhile."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MaintenanceWindow(models.Model):
    """A scheduled maintenance: a banner from ``notify_minutes`` before ``starts_at`` until
    ``ends_at``; in between only admins may sign in."""

    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # Shown to agents and customers in the banner (plain text, escaped).
    message = models.CharField(_("message"), max_length=500)
    # For the admins only (why, who to call).
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    notify_minutes = models.PositiveIntegerField(
        _("announce minutes before"),
        default=30,
        help_text=_("The banner appears this many minutes before the start."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["starts_at", "pk"]
        # The banner's query: the windows that have not ended yet.
        indexes = [models.Index(fields=["ends_at"], name="maintenance_ends_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="maintenance_ends_after_start",
            )
        ]
        # The operation screens of the admin dashboard, each its own permission so that an
        # administrator can hand one of them to a colleague.
        permissions = [
            ("view_health", _("Can view the system's health")),
            ("view_systemlog", _("Can view the system log")),
            ("download_supportbundle", _("Can download the support bundle")),
            ("end_session", _("Can list and end sessions")),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at

    def is_announced(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at - timedelta(minutes=self.notify_minutes) <= now < self.ends_at
