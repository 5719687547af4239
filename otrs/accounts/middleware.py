"""Applies a signed-in user's language and time zone to the request; renews idle sessions."""

from __future__ import annotations

import time
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """After authentication: the user's chosen language (over the browser's) and time zone
    (over the site's) apply to everything the request renders, history sentences included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# The session key holding when the session's expiry was last pushed forward (Unix seconds).
RENEWED_AT = "_renewed_at"


def renewed_at_sign_in(sender, request, user, **kwargs) -> None:
    """Signing in saves the session, which renews it: the next minute's requests need not."""
    if request is not None and hasattr(request, "session"):
        request.session[RENEWED_AT] = int(time.time())


class IdleSessionRenewalMiddleware:
    """Idle expiry without a database write on every request.

    A session lives ``SESSION_COOKIE_AGE`` after its last save. Saving it on every request
    (``SESSION_SAVE_EVERY_REQUEST``) cost three queries each time, and the agent portal polls
    (presence, live counters) every few seconds. This saves a session that has data at most
    once per ``SESSION_RENEW_SECONDS``, by touching one key, so Django's session middleware
    (below this one, it writes after it) renews both the row's expiry and the cookie. An idle
    session therefore ends between ``SESSION_COOKIE_AGE`` and that many seconds less after
    the last request. Sessions that were changed are saved anyway; empty ones never."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.modified or session.is_empty():
            return response
        renewed_at = session.get(RENEWED_AT)  # loads the session if the view did not
        if not session.keys():
            return response
        now = int(time.time())
        if renewed_at is None or now - renewed_at >= settings.SESSION_RENEW_SECONDS:
            session[RENEWED_AT] = now
        return response
