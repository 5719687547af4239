"""OAuth2 mail accounts against real servers on loopback: a dovecot whose ``passdb oauth2``
asks a small token server (tests/mail/oauth_server.py), the test SMTP server with an XOAUTH2
authenticator checking tokens with that server, and the admin's connect flow through the
Django test client following the redirects to the token server and back."""

# The fixtures are imported by name and then taken as arguments:
# ruff: noqa: F811

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from otrs.accounts.models import User, UserKind
from otrs.mail import oauth, sending
from otrs.mail.admin import MailAccountForm
from otrs.mail.fetching import fetch_account, fetch_accounts
from otrs.mail.models import (
    AuthMethod,
    MailAccount,
    OAuthProvider,
    OutboundKind,
    OutboundMessage,
    Protocol,
    TokenState,
)
from otrs.mail.outbound import queue_system_mail
from tests.mail.oauth_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    dovecot_oauth,  # noqa: F401 - fixture
    fresh_oauth_server,  # noqa: F401 - fixture
    oauth_server,  # noqa: F401 - fixture
)
from tests.mail.smtp_server import start_smtp_server
from tests.mail.test_fetching import make_account, message

pytestmark = pytest.mark.django_db


def oauth_account(box, server, protocol=Protocol.IMAP, *, expires_in=3600, **fields):
    """An account connected to ``server`` (tokens issued as a finished authorization would)."""
    access, refresh = server.issue(box.login)
    values = {
        "name": f"{box.login} {protocol} oauth",
        "auth_method": AuthMethod.OAUTH2,
        "password": "",
        "oauth_provider": OAuthProvider.CUSTOM,
        "oauth_client_id": CLIENT_ID,
        "oauth_client_secret": CLIENT_SECRET,
        "oauth_authorize_url": f"{server.url}/authorize",
        "oauth_token_url": f"{server.url}/token",
        "oauth_scopes": "mail offline",
        "oauth_access_token": access,
        "oauth_refresh_token": refresh,
        "oauth_expires_at": timezone.now() + timedelta(seconds=expires_in),
        "oauth_state": TokenState.CONNECTED,
        "oauth_connected_at": timezone.now(),
    }
    return make_account(box, protocol, **{**values, **fields})


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)


# --- fetching with XOAUTH2 ----------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [Protocol.IMAP, Protocol.POP3])
def test_it_fetches_with_xoauth2(dovecot_oauth, fresh_oauth_server, protocol):
    box = dovecot_oauth.mailbox()
    box.deliver(message())
    account = oauth_account(box, fresh_oauth_server, protocol)

    result = fetch_account(account)

    assert (result.error, result.fetched, result.stored) == ("", 1, 1)
    assert box.messages() == []
    account.refresh_from_db()
    assert (account.fetched_total, account.fetched_last_run, account.consecutive_failures) == (
        1,
        1,
        0,
    )


@pytest.mark.parametrize("protocol", [Protocol.IMAP, Protocol.POP3])
def test_a_token_the_server_refuses_fails_the_account_and_keeps_the_mail(
    dovecot_oauth, fresh_oauth_server, protocol, caplog
):
    box = dovecot_oauth.mailbox()
    box.deliver(message())
    account = oauth_account(box, fresh_oauth_server, protocol)
    token = account.oauth_access_token
    fresh_oauth_server.expire_access_tokens()  # the provider forgot it; we think it valid

    with caplog.at_level(logging.DEBUG):
        first = fetch_account(account)
        second = fetch_account(account)

    assert "refused the login" in first.error and second.error
    assert len(box.messages()) == 1
    account.refresh_from_db()
    assert account.consecutive_failures == 2
    assert token not in caplog.text and token not in account.last_error_text


def test_an_expiring_token_is_refreshed_and_the_rotated_refresh_token_saved(
    dovecot_oauth, fresh_oauth_server
):
    box = dovecot_oauth.mailbox()
    box.deliver(message())
    account = oauth_account(box, fresh_oauth_server, expires_in=30)  # inside the margin
    old_access, old_refresh = account.oauth_access_token, account.oauth_refresh_token
    grants_before = len(fresh_oauth_server.state.grants)

    result = fetch_account(account)

    assert result.ok and result.stored == 1
    assert fresh_oauth_server.state.grants[grants_before:] == ["refresh_token"]
    account.refresh_from_db()
    assert account.oauth_access_token != old_access
    assert account.oauth_refresh_token not in ("", old_refresh)
    # The saved one is the live one at the provider; the old one is dead there.
    assert fresh_oauth_server.state.refresh.get(account.oauth_refresh_token) == box.login
    assert old_refresh not in fresh_oauth_server.state.refresh
    assert account.oauth_expires_at > timezone.now() + timedelta(minutes=50)
    assert account.oauth_state == TokenState.CONNECTED


def test_a_revoked_token_marks_the_account_and_alerts_the_admins_once(
    dovecot_oauth, fresh_oauth_server, admin_user, client
):
    User.objects.create_user("agent", "agent@example.test", "pw", kind=UserKind.AGENT)
    box = dovecot_oauth.mailbox()
    box.deliver(message())
    account = oauth_account(box, fresh_oauth_server, expires_in=0)
    fresh_oauth_server.revoke(box.login)

    first = fetch_account(account)
    second = fetch_account(account)

    assert "invalid_grant" in first.error and "connect the account again" in first.error
    assert second.error
    account.refresh_from_db()
    assert account.oauth_state == TokenState.NEEDS_RECONNECT
    assert "invalid_grant" in account.oauth_error
    assert account.oauth_access_token == ""
    alerts = OutboundMessage.objects.filter(kind=OutboundKind.SYSTEM)
    assert [row.recipients for row in alerts] == [["root@example.test"]]  # admins only, once
    assert account.name in alerts[0].subject
    assert len(box.messages()) == 1  # nothing lost
    # Still editable: the admin's change form saves without a new secret or password.
    client.force_login(admin_user)
    url = reverse("admin:mail_mailaccount_change", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "needs reconnecting" in page.content.decode()
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(comment="edited while broken", oauth_client_secret="", password="")
    data["after_fetch"] = account.after_fetch
    saved = client.post(url, {**data, "dispatch_config-TOTAL_FORMS": "0"}, follow=False)
    account.refresh_from_db()
    assert saved.status_code in (200, 302)
    # (the ticket channel's inline may need its management form; the form itself is valid:)
    bound = MailAccountForm(data=data, instance=account)
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["oauth_client_secret"] == CLIENT_SECRET


def test_a_missing_refresh_token_is_one_sentence_in_the_readers_language(
    dovecot_oauth, fresh_oauth_server, admin_user
):
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server, expires_in=0, oauth_refresh_token="")

    result = fetch_account(account)

    assert result.error == "No OAuth2 refresh token is stored: connect the account again."
    account.refresh_from_db()
    assert account.oauth_state == TokenState.NEEDS_RECONNECT
    assert account.oauth_error == ""  # only ever the provider's own words
    german = "Es ist kein OAuth2-Refresh-Token gespeichert: Verbinden Sie das Konto neu."
    with translation.override("de"):
        assert account.oauth_error_text == german
        assert account.last_error_text == german
    assert account.oauth_error_text == (
        "No OAuth2 refresh token is stored: connect the account again."
    )
    # The provider's words inside one sentence: stored as they came, translated around.
    account.oauth_error = "invalid_grant: revoked"
    with translation.override("de"):
        assert account.oauth_error_text == (
            "Das OAuth2-Token kann nicht mehr erneuert werden (invalid_grant: revoked): "
            "Verbinden Sie das Konto neu."
        )
    assert OutboundMessage.objects.filter(kind=OutboundKind.SYSTEM).count() == 1  # the alert


def test_the_token_endpoint_being_away_is_only_this_runs_failure(
    dovecot_oauth, fresh_oauth_server, settings
):
    settings.MAIL_OAUTH_TIMEOUTS = (1, 1)
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server, expires_in=0)
    fresh_oauth_server.state.delay = 2.5

    result = fetch_account(account)

    assert "could not be reached: ReadTimeout" in result.error, result.error
    account.refresh_from_db()
    assert account.last_error_code == "oauth_unreachable"
    with translation.override("de"):  # one sentence in the reader's language
        assert account.last_error_text == (
            "Der Token-Endpunkt war nicht erreichbar: ReadTimeout"
        ), account.last_error_text
    account.refresh_from_db()
    assert account.oauth_state == TokenState.CONNECTED  # not "needs reconnecting"
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hanging_token_server_does_not_delay_another_account(
    dovecot_oauth, fresh_oauth_server, settings
):
    settings.MAIL_OAUTH_TIMEOUTS = (2, 8)
    settings.MAIL_FETCH_PARALLEL = 4
    slow_box, quick_box = dovecot_oauth.mailbox(), dovecot_oauth.mailbox()
    slow_box.deliver(message())
    quick_box.deliver(message())
    slow = oauth_account(slow_box, fresh_oauth_server, name="a slow", expires_in=0)
    quick = oauth_account(quick_box, fresh_oauth_server, name="b quick")
    fresh_oauth_server.state.delay = 6  # the slow account's refresh hangs this long

    results: list = []
    started = time.monotonic()
    runner = threading.Thread(target=lambda: results.extend(fetch_accounts([slow, quick])))
    runner.start()
    while quick_box.messages() and time.monotonic() - started < 10:
        time.sleep(0.1)
    quick_done = time.monotonic() - started
    runner.join(30)

    assert quick_done < 3, f"the quick account waited {quick_done:.1f} s"
    assert [r.account for r in results] == ["a slow", "b quick"]
    assert results[1].ok and results[1].stored == 1
    assert results[0].ok and results[0].stored == 1  # slow, but within its read timeout
    assert time.monotonic() - started >= 6


def test_concurrent_refreshes_do_not_lose_the_rotated_token_in_process(
    dovecot_oauth, fresh_oauth_server
):
    """Two calls one after the other with the same stale object: the second finds the token
    the first stored (under the row lock) instead of spending the dead refresh token."""
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server, expires_in=0)
    stale = MailAccount.objects.get(pk=account.pk)
    grants_before = len(fresh_oauth_server.state.grants)

    first = oauth.access_token(account)
    second = oauth.access_token(stale)

    assert first == second
    assert fresh_oauth_server.state.grants[grants_before:] == ["refresh_token"]


def _token_in_child(pk: int) -> str:
    return oauth.access_token(MailAccount.objects.get(pk=pk))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_refreshing_at_once_keep_the_newest_refresh_token(
    dovecot_oauth, fresh_oauth_server, run_in_processes
):
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server, expires_in=0)
    fresh_oauth_server.state.delay = 1  # both are inside the refresh at the same time
    grants_before = len(fresh_oauth_server.state.grants)

    tokens = run_in_processes(_token_in_child, [(account.pk,), (account.pk,), (account.pk,)])

    assert len(set(tokens)) == 1
    assert fresh_oauth_server.state.grants[grants_before:] == ["refresh_token"]
    account.refresh_from_db()
    assert account.oauth_state == TokenState.CONNECTED
    assert fresh_oauth_server.state.refresh.get(account.oauth_refresh_token) == box.login


# --- the SMTP relay -----------------------------------------------------------------------------


def _introspect(server):
    def check(user: str, token: str) -> bool:
        url = f"{server.url}/introspect"
        request = urllib.request.Request(url, data=f"token={token}".encode(), method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            answer = json.load(response)
        return bool(answer.get("active")) and answer.get("username") == user

    return check


@pytest.mark.parametrize("expires_in", [3600, 0])
def test_the_relay_logs_in_with_xoauth2(dovecot_oauth, fresh_oauth_server, settings, expires_in):
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server, expires_in=expires_in)
    server = start_smtp_server(xoauth2=_introspect(fresh_oauth_server))
    try:
        settings.OUTGOING_MAIL = server.config()
        settings.OUTGOING_MAIL_OAUTH2_ACCOUNT = account.name
        queue_system_mail(to="carla@example.com", subject="Hello", body="Text")

        assert sending.send_due() == 1

        (received,) = server.messages
        assert received.rcpt_tos == ["carla@example.com"]
        assert server.handler.logins == [box.login]
    finally:
        server.stop()


def test_the_relay_refusing_the_token_keeps_the_mail_queued(
    dovecot_oauth, fresh_oauth_server, settings
):
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server)
    fresh_oauth_server.expire_access_tokens()
    server = start_smtp_server(xoauth2=_introspect(fresh_oauth_server))
    try:
        settings.OUTGOING_MAIL = server.config()
        settings.OUTGOING_MAIL_OAUTH2_ACCOUNT = account.name
        row = queue_system_mail(to="carla@example.com", subject="Hello", body="Text")

        sending.send_due()

        row.refresh_from_db()
        assert row.status == "queued" and "535" in row.last_error
        assert account.oauth_access_token not in row.last_error
        assert server.messages == []
    finally:
        server.stop()


# --- connecting in the admin --------------------------------------------------------------------


def _follow_to_provider(response) -> str:
    """Follow the admin's redirect to the token server's /authorize (a real HTTP request);
    return the callback URL (path and query) the provider redirects back to."""
    assert response.status_code == 302
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(response["Location"], timeout=5)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302
        back = urlsplit(redirect.headers["Location"])
        return f"{back.path}?{back.query}"
    raise AssertionError("the provider did not redirect back")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_admin_connects_an_account(dovecot_oauth, fresh_oauth_server, admin_user, client):
    box = dovecot_oauth.mailbox()
    box.deliver(message())
    account = oauth_account(
        box,
        fresh_oauth_server,
        oauth_access_token="",
        oauth_refresh_token="",
        oauth_state=TokenState.NEEDS_RECONNECT,
        oauth_error="invalid_grant: revoked",
    )
    fresh_oauth_server.state.approve_as = box.login
    client.force_login(admin_user)

    started = client.post(reverse("admin:mail_mailaccount_oauth_connect", args=[account.pk]))
    assert started["Location"].startswith(f"{fresh_oauth_server.url}/authorize?")
    asked = parse_qs(urlsplit(started["Location"]).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"]
    assert asked["scope"] == ["mail offline"] and asked["client_id"] == [CLIENT_ID]
    callback = _follow_to_provider(started)
    assert callback.startswith(reverse("admin:mail_mailaccount_oauth_callback"))
    done = client.get(callback, follow=True)

    assert "is connected" in done.content.decode()
    account.refresh_from_db()
    assert account.oauth_state == TokenState.CONNECTED and account.oauth_error == ""
    assert account.oauth_access_token and account.oauth_refresh_token
    assert account.oauth_expires_at > timezone.now()
    # The secrets are never shown back.
    page = client.get(reverse("admin:mail_mailaccount_change", args=[account.pk])).content
    for secret in (account.oauth_access_token, account.oauth_refresh_token, CLIENT_SECRET):
        assert secret.encode() not in page
    # And it fetches.
    assert fetch_account(account).stored == 1


def test_a_callback_with_a_foreign_state_changes_nothing(
    dovecot_oauth, fresh_oauth_server, admin_user, client
):
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server)
    before = account.oauth_refresh_token
    client.force_login(admin_user)
    client.post(reverse("admin:mail_mailaccount_oauth_connect", args=[account.pk]))

    answer = client.get(
        reverse("admin:mail_mailaccount_oauth_callback") + "?code=abc&state=forged", follow=True
    )

    assert "belongs to no connection you started" in answer.content.decode()
    account.refresh_from_db()
    assert account.oauth_refresh_token == before


def test_a_refused_authorization_is_shown(dovecot_oauth, fresh_oauth_server, admin_user, client):
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server)
    client.force_login(admin_user)
    started = client.post(reverse("admin:mail_mailaccount_oauth_connect", args=[account.pk]))
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]

    answer = client.get(
        reverse("admin:mail_mailaccount_oauth_callback"),
        {"state": state, "error": "access_denied", "error_description": "The user said no"},
        follow=True,
    )

    assert "did not authorize the account: The user said no" in answer.content.decode()


def test_a_non_admin_cannot_connect(dovecot_oauth, fresh_oauth_server, client):
    box = dovecot_oauth.mailbox()
    account = oauth_account(box, fresh_oauth_server)
    agent = User.objects.create_user("agent", "a@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(agent)

    answer = client.post(reverse("admin:mail_mailaccount_oauth_connect", args=[account.pk]))

    assert answer.status_code == 302 and "/login/" in answer["Location"]


# --- the form -----------------------------------------------------------------------------------


def test_the_form_asks_for_what_oauth_needs():
    data = {
        "name": "o365",
        "is_valid": "on",
        "protocol": Protocol.IMAPS,
        "host": "outlook.office365.com",
        "login": "support@example.com",
        "auth_method": AuthMethod.OAUTH2,
        "oauth_provider": OAuthProvider.CUSTOM,
        "folder": "INBOX",
        "after_fetch": "delete",
        "interval_minutes": 10,
    }
    form = MailAccountForm(data=data)
    assert not form.is_valid()
    assert set(form.errors) >= {"oauth_client_id", "oauth_authorize_url", "oauth_token_url"}
    assert "password" not in form.errors

    form = MailAccountForm(
        data={**data, "oauth_provider": OAuthProvider.MICROSOFT, "oauth_client_id": "x"}
    )
    assert form.is_valid(), form.errors
    saved = form.save()
    assert oauth.scopes(saved).split() == [
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/POP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ]


def test_google_asks_for_offline_access_and_consent():
    account = MailAccount.objects.create(
        name="g",
        protocol=Protocol.IMAPS,
        host="imap.gmail.com",
        login="support@example.com",
        auth_method=AuthMethod.OAUTH2,
        oauth_provider=OAuthProvider.GOOGLE,
        oauth_client_id="cid",
    )
    started = oauth.start_authorization(account, "https://desk.example/cb")
    query = parse_qs(urlsplit(started.url).query)
    assert started.url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["scope"] == ["https://mail.google.com/"]
    assert query["code_challenge_method"] == ["S256"]
