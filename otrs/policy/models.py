"""Stored values of the policy settings and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PolicyValue(models.Model):
    """A policy setting an admin changed (a setting without a row has its default)."""

    key = models.CharField(_("setting"), max_length=100, unique=True)
    value = models.JSONField(_("value"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("policy setting")
        verbose_name_plural = _("policy settings")

    def __str__(self) -> str:
        return self.key


class PolicyChange(models.Model):
    """One change of a policy setting (append-only): raw old and new values; ``None`` stands
    for the default (no stored value)."""

    key = models.CharField(_("setting"), max_length=100)
    old = models.JSONField(_("old value"), null=True)
    new = models.JSONField(_("new value"), null=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("policy change")
        verbose_name_plural = _("policy changes")
        ordering = ["-changed_at", "-pk"]
        # One setting's history, newest first.
        indexes = [models.Index(fields=["key", "-changed_at"], name="policy_change_key")]

    def __str__(self) -> str:
        return f"{self.key} {self.changed_at:%Y-%m-%d %H:%M}"
