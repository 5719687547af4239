"""Searches an agent saved under a name."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedSearch(models.Model):
    """An agent's named ticket search: the search form's criteria as query parameters."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_searches",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    # {"field": ["value", ...]}: what the search page's GET form sends, so a saved search
    # is replayed as a plain link and checked by the same form as a typed one.
    criteria = models.JSONField(_("criteria"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["name", "id"]
        # The unique key also serves the search page's list of an agent's searches.
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="uniq_saved_search_name")
        ]

    def __str__(self) -> str:
        return self.name
