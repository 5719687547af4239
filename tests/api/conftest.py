"""Helpers of the API tests: a client that sends a personal access token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from otrs.api.tokens import create_token


def token_for(user, scope: str = "write", days: int = 30) -> str:
    _row, plain = create_token(
        user,
        name="test",
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
        actor=user,
    )
    return plain


class ApiClient:
    """Django's test client with ``Authorization: Bearer`` and JSON bodies."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, url, data=None, headers=None):
        return self.client.get(url, data, headers={**self.headers, **(headers or {})})

    def post(self, url, data=None, headers=None):
        return self.client.post(
            url,
            data or {},
            content_type="application/json",
            headers={**self.headers, **(headers or {})},
        )

    def patch(self, url, data=None, headers=None):
        return self.client.patch(
            url,
            data or {},
            content_type="application/json",
            headers={**self.headers, **(headers or {})},
        )

    def delete(self, url, headers=None):
        return self.client.delete(url, headers={**self.headers, **(headers or {})})


@pytest.fixture
def api():
    """``api(user, scope="write")``: a client calling as ``user`` with a new token."""

    def make(user=None, scope: str = "write") -> ApiClient:
        return ApiClient(token_for(user, scope) if user is not None else None)

    return make
