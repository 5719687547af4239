"""The favicon the project serves, and the warning when SITE_URL is not the served address."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from otrs.web import site

pytestmark = pytest.mark.django_db


def test_it_serves_the_favicon_at_the_root(client):
    response = client.get("/favicon.ico")

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header: reserved 0, type 1 (icon)
    assert "max-age" in response["Cache-Control"]


def test_the_agent_pages_link_the_icons(client, support):
    client.force_login(support.rw)

    page = client.get("/agent/", follow=True).content.decode()

    assert 'rel="icon" href="/favicon.ico"' in page
    assert 'type="image/svg+xml"' in page


def test_it_warns_once_when_served_under_another_address(settings, caplog):
    settings.SITE_URL = "https://desk.example.org"
    settings.ALLOWED_HOSTS = ["desk.example.org", "elsewhere.example.org"]
    client = Client()
    site.warned.clear()

    with caplog.at_level(logging.WARNING, logger="otrs.site"):
        client.get("/favicon.ico", HTTP_HOST="desk.example.org")
        client.get("/favicon.ico", HTTP_HOST="elsewhere.example.org:8000")
        client.get("/favicon.ico", HTTP_HOST="elsewhere.example.org:8000")

    warnings = [r.getMessage() for r in caplog.records if r.name == "otrs.site"]
    assert len(warnings) == 1
    assert "elsewhere.example.org:8000" in warnings[0]
    assert "https://desk.example.org" in warnings[0]
