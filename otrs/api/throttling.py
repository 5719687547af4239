"""The API's throttling: requests per user (and per client address for anonymous calls),
counted in the shared cache (``CACHE_URL``: one count for every web host), with the rates of
``API_THROTTLE_USER`` and ``API_THROTTLE_ANON``. The client address is the one the project's
sign-in throttling uses, read through ``TRUSTED_PROXIES`` (:mod:`otrs.accounts.client_address`)."""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from otrs.accounts.client_address import client_address


class ApiUserThrottle(UserRateThrottle):
    scope = "api_user"

    def get_ident(self, request) -> str:
        return client_address(request)


class ApiAnonThrottle(AnonRateThrottle):
    scope = "api_anon"

    def get_ident(self, request) -> str:
        return client_address(request)
