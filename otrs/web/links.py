"""Absolute links for text that leaves the site (mail, command output): ``SITE_URL`` plus the
path of a named URL. The one place that builds them, whatever portal the page is in."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute_url(name: str, *args, **kwargs) -> str:
    """``SITE_URL`` followed by the path of the URL ``name`` (with positional or keyword
    arguments, as :func:`django.urls.reverse` takes them)."""
    return settings.SITE_URL + reverse(name, args=args or None, kwargs=kwargs or None)
