"""Absolute links for text that leaves the site (mail, command output): ``SITE_URL`` plus the
path of a named URL. The one place that builds them, whatever portal the page is in; and
the check of a ``next`` a form hands back."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def absolute_url(name: str, *args, **kwargs) -> str:
    """``SITE_URL`` followed by the path of the URL ``name`` (with positional or keyword
    arguments, as :func:`django.urls.reverse` takes them)."""
    return settings.SITE_URL + reverse(name, args=args or None, kwargs=kwargs or None)


def local_path(request, value: str, fallback: str) -> str:
    """``value`` (a form's ``next``) when it is a path on this site, else ``fallback``: no
    open redirect, and nothing that ``redirect()`` would take for a view name (a 500)."""
    if value.startswith("/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return fallback
