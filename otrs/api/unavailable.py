"""The API's "not now" (raised while authenticating, so kept apart from the error handler,
which imports DRF's views: those import the authentication classes)."""

from __future__ import annotations

from datetime import datetime

from rest_framework import exceptions, status


class Unavailable(exceptions.APIException):
    """The service refuses this caller for a while (a maintenance window): 503 with
    Retry-After (the seconds until ``until``, when known) and ``until`` in the body."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "maintenance"

    def __init__(self, detail: str, *, until: datetime | None = None) -> None:
        super().__init__(detail, code=self.default_code)
        self.until = until
