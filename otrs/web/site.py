"""What the site serves at fixed addresses of its own, and a check that the address links in
mail point at (``SITE_URL``) is the one the site is reached under.

* :func:`favicon`: ``/favicon.ico``, which browsers ask for on every site whatever the page
  links to; answered from our static folder (no 404 in every log).
* :class:`SiteUrlCheckMiddleware`: a request served under a host or port other than
  ``SITE_URL``'s logs a warning, once per host and process: links in mail would lead elsewhere.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.http import FileResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

logger = logging.getLogger("otrs.site")
# The hosts warned about in this process (a warning per request would drown the log).
warned: set[str] = set()

FAVICON = settings.BASE_DIR / "static" / "otrs" / "favicon.ico"


@require_safe
@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request):
    return FileResponse(FAVICON.open("rb"), content_type="image/vnd.microsoft.icon")


def site_host() -> str:
    """``SITE_URL``'s host and port as a request's ``Host`` names them (no default port)."""
    parts = urlsplit(settings.SITE_URL)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


class SiteUrlCheckMiddleware:
    """Warns (in the log, once per host) when the site is served under another address than
    ``SITE_URL``: the links in notifications and the customer portal's mails would be wrong."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = request.get_host().lower()
        expected = site_host()
        if host != expected and host not in warned:
            warned.add(host)
            logger.warning(
                "This site is served as %s but SITE_URL is %s: links in mail point there. "
                "Set SITE_URL to the address agents and customers use.",
                host,
                settings.SITE_URL,
            )
        return self.get_response(request)
