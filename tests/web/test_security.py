"""Secure cookies over HTTPS, the Content-Security-Policy, and ``check --deploy`` for the
documented production settings (deploy/env.example)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from tests import factories
from tests.customer_portal import ticket_data

ROOT = Path(__file__).resolve().parents[2]
# What check --deploy still reports for deploy/env.example, because the reverse proxy
# provides it (deploy/README.md, "What the proxy provides"): HSTS and the redirect to HTTPS.
PROVIDED_BY_THE_PROXY = {"security.W004", "security.W008"}


def sign_in(client, *, secure: bool):
    factories.agent("walker")
    return client.post(
        reverse("agent:login"), {"username": "walker", "password": "x"}, secure=secure
    )


def test_cookies_are_secure_over_https(client, db, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    client.get(reverse("agent:login"), secure=True)
    response = sign_in(client, secure=True)

    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True and session["httponly"] is True
    page = client.get(reverse("agent:password_change"), secure=True)
    assert page.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True


def test_cookies_over_plain_http_follow_the_setting(client, db, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    response = sign_in(client, secure=False)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"] == ""


def test_every_page_gets_a_strict_policy(client, db):
    response = client.get(reverse("customer:login"))

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


def test_an_attachment_keeps_its_own_sandbox_policy(client, db, support):
    ticket = factories.ticket(support.queue)
    article = ticket_data.article(ticket, visible=True, files=[("a.html", b"<b>x</b>")])
    client.force_login(support.rw)

    response = client.get(reverse("agent:attachment", args=[article.attachments.get().pk]))

    assert response.status_code == 200
    assert "sandbox" in response["Content-Security-Policy"]


def _example_environment(tmp_path) -> dict[str, str]:
    """deploy/env.example as systemd would load it, with the two values an operator must
    replace: a real secret key and a writable state directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            env[name] = value
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["OTRS_VAR_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "otrs.settings"
    return env


def test_check_deploy_is_clean_but_for_what_the_proxy_provides(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=_example_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    reported = set(re.findall(r"\((security\.\w+)\)", result.stdout + result.stderr))
    assert reported == PROVIDED_BY_THE_PROXY, result.stdout + result.stderr
    readme = (ROOT / "deploy" / "README.md").read_text()
    for check in PROVIDED_BY_THE_PROXY:
        assert check in readme
