"""Throttling of failed sign-ins, per login name and per client address."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, address: str) -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{name}", f"login-fail:addr:{address}"]


def is_blocked(username: str, address: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _keys(username, address))


def record_failure(username: str, address: str) -> None:
    for key in _keys(username, address):
        # add() starts the window; incr() keeps its expiry.
        if not cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW)


def reset(username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])


def client_address(request) -> str:
    # REMOTE_ADDR is what the proxy set (gunicorn honours X-Forwarded-For only from the
    # addresses in FORWARDED_ALLOW_IPS, see deploy/gunicorn.conf.py).
    return request.META.get("REMOTE_ADDR", "")
