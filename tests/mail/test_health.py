"""The mail-health page of the admin: per account its last fetch, counts, failures,
quarantine size and token state; per kind of outgoing mail the backlog, the failed and the
oldest waiting message. Admins only; works without JavaScript (a plain page)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otrs.accounts.models import User, UserKind
from otrs.mail import health, pipe, spool
from otrs.mail.models import (
    AuthMethod,
    MailAccount,
    OutboundKind,
    OutboundMessage,
    OutboundStatus,
    Protocol,
    TokenState,
)
from tickets.models import InboundMessage, InboundSource, InboundStatus, RawMail

pytestmark = pytest.mark.django_db


def account(name, **fields) -> MailAccount:
    fields.setdefault("protocol", Protocol.IMAPS)
    fields.setdefault("host", "mail.example.test")
    fields.setdefault("login", f"{name}@example.test")
    fields.setdefault("password", "secret")
    return MailAccount.objects.create(name=name, **fields)


def inbound(acc, status) -> InboundMessage:
    return InboundMessage.objects.create(
        blob=RawMail.objects.put(b"Subject: x\r\n\r\nx\r\n"),
        size=16,
        sha256="0" * 64,
        source=InboundSource.ACCOUNT,
        account=acc,
        status=status,
    )


def outgoing(kind, status, age_minutes=0) -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind=kind,
        envelope_from="desk@example.test",
        recipients=["a@example.test"],
        raw=b"x",
        status=status,
        created_at=timezone.now() - timedelta(minutes=age_minutes),
    )


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def test_it_counts_quarantine_per_account_through_the_channel_hook():
    good, bad = account("good"), account("bad")
    inbound(bad, InboundStatus.QUARANTINED)
    inbound(bad, InboundStatus.QUARANTINED)
    inbound(bad, InboundStatus.PROCESSED)
    inbound(good, InboundStatus.PROCESSED)

    rows = {row.account.name: row.quarantined for row in health.accounts()}

    assert rows == {"bad": 2, "good": 0}


def test_it_sums_the_outgoing_queue_per_kind_with_the_oldest_waiting():
    outgoing(OutboundKind.ARTICLE, OutboundStatus.QUEUED, age_minutes=90)
    outgoing(OutboundKind.ARTICLE, OutboundStatus.SENDING, age_minutes=5)
    outgoing(OutboundKind.ARTICLE, OutboundStatus.FAILED, age_minutes=600)
    outgoing(OutboundKind.SYSTEM, OutboundStatus.QUEUED, age_minutes=10)
    outgoing(OutboundKind.SYSTEM, OutboundStatus.SENT, age_minutes=1000)

    rows = {row.kind: row for row in health.outgoing()}

    article, system, total = rows[OutboundKind.ARTICLE], rows[OutboundKind.SYSTEM], rows[""]
    assert (article.queued, article.sending, article.failed, article.backlog) == (1, 1, 1, 2)
    assert (system.queued, system.failed) == (1, 0)
    assert (total.backlog, total.failed) == (3, 1)
    # The failed one does not count as waiting: the oldest waiting is 90 minutes old.
    assert timedelta(minutes=89) < total.oldest_age < timedelta(minutes=91)


def test_the_page_shows_accounts_and_the_queue(admin_client):
    broken = account(
        "Sales O365",
        auth_method=AuthMethod.OAUTH2,
        oauth_state=TokenState.NEEDS_RECONNECT,
        oauth_error="invalid_grant: AADSTS70008 expired",
        oauth_refresh_token="rt-secret-value",
        last_error="The OAuth2 token can no longer be refreshed",
        consecutive_failures=3,
        fetched_total=120,
        fetched_last_run=0,
    )
    account("Support", fetched_total=7, fetched_last_run=2, last_fetch_at=timezone.now())
    inbound(broken, InboundStatus.QUARANTINED)
    outgoing(OutboundKind.ARTICLE, OutboundStatus.QUEUED, age_minutes=125)

    page = admin_client.get(reverse("admin:mail_health"))

    html = page.content.decode()
    assert page.status_code == 200
    for text in ("Sales O365", "needs reconnecting", "AADSTS70008", "0 / 120", "2 / 7"):
        assert text in html
    assert "rt-secret-value" not in html
    assert "2\xa0hours" in html or "2 hours" in html
    assert "<script" not in html.split('id="content-main"')[1]


def test_the_page_is_linked_from_the_index_and_the_account_list(admin_client):
    url = reverse("admin:mail_health")
    assert url in admin_client.get(reverse("admin:index")).content.decode()
    assert url in admin_client.get(reverse("admin:mail_mailaccount_changelist")).content.decode()


def test_the_page_speaks_german(admin_client):
    account("Support")
    page = admin_client.get(reverse("admin:mail_health"), HTTP_ACCEPT_LANGUAGE="de")
    assert "Mail-Zustand" in page.content.decode()


def test_it_is_for_admins_only(client):
    agent = User.objects.create_user("agent", "a@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(agent)
    answer = client.get(reverse("admin:mail_health"))
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    client.logout()
    answer = client.get(reverse("admin:mail_health"))
    assert answer.status_code == 302


def test_the_page_shows_the_spool_and_what_was_moved_aside(admin_client, settings, tmp_path):

    settings.MAIL_SPOOL_DIR = tmp_path
    options = pipe.spool_options(queue="No such queue", trusted=True, source="pipe")
    pipe.write_spool(tmp_path, b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n", options)
    pipe.write_spool(tmp_path, b"From: b@example.com\r\nSubject: y\r\n\r\nbody\r\n", options)
    assert health.mail_spool().waiting == 2
    # The real intake: an unknown queue, the last try, moved aside into failed/.
    assert spool.drain(tmp_path, max_attempts=1).failed == 2

    row = health.mail_spool()
    assert (row.waiting, row.failed) == (0, 2)
    assert "No such queue" in row.last_error
    page = admin_client.get(reverse("admin:mail_health"))
    html = page.content.decode()
    assert "Mail server spool" in html and str(tmp_path) in html
    assert "<strong>2</strong>" in html and "--requeue-failed" in html
    german = admin_client.get(reverse("admin:mail_health"), HTTP_ACCEPT_LANGUAGE="de")
    assert "zur Seite gelegt" in german.content.decode()


def test_an_empty_or_missing_spool_is_no_error(admin_client, settings, tmp_path):
    settings.MAIL_SPOOL_DIR = tmp_path / "not-there"
    row = health.mail_spool()
    assert (row.waiting, row.failed, row.oldest_failed, row.readable) == (0, 0, None, True)
    assert admin_client.get(reverse("admin:mail_health")).status_code == 200
