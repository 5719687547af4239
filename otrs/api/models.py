"""Personal access tokens for the REST API."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    def active(self, now=None) -> AccessTokenQuerySet:
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class AccessToken(models.Model):
    """A personal access token: only its SHA-256 is kept; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    # The token's first characters after "otrs_": how it is found (and recognised in a list)
    # without keeping it.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(_("scope"), max_length=8, choices=TokenScope.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API access token")
        verbose_name_plural = _("API access tokens")
        ordering = ["-created_at", "-id"]
        # The preferences page: a user's tokens, newest first.
        indexes = [models.Index(fields=["user", "created_at"], name="api_token_user")]

    def __str__(self) -> str:
        return f"{self.name} (otrs_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE
