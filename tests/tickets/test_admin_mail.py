"""The admin's view of mail intake: the quarantine with its reprocess button, the raw
download, and the postmaster filter forms' validation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from tickets.models import InboundMessage, InboundStatus, PostmasterFilter, Ticket
from tickets.postmaster import intake
from tickets.postmaster.intake import receive

pytestmark = pytest.mark.django_db

RAW = (
    b"From: alice@example.com\r\nTo: support@helpdesk.test\r\nSubject: Help\r\n"
    b"Message-ID: <admin-1@example.com>\r\n\r\nPlease help.\r\n"
)


@pytest.fixture
def admin_client_(client):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def quarantined(monkeypatch):
    original = intake.handle
    monkeypatch.setattr(intake, "handle", lambda *a, **k: 1 / 0)
    stored = receive(RAW, source="pipe")
    monkeypatch.setattr(intake, "handle", original)
    assert stored.status == InboundStatus.QUARANTINED
    return stored


def test_quarantine_lists_the_error_and_reprocesses(admin_client_, quarantined):
    listing = admin_client_.get(
        reverse("admin:tickets_inboundmessage_changelist"), {"status__exact": "quarantined"}
    )
    assert b"Help" in listing.content
    page = admin_client_.get(reverse("admin:tickets_inboundmessage_change", args=[quarantined.pk]))
    assert b"ZeroDivisionError" in page.content
    assert b"Process again" in page.content

    url = reverse("admin:tickets_inboundmessage_reprocess", args=[quarantined.pk])
    assert admin_client_.get(url).status_code == 405  # only POST changes anything
    response = admin_client_.post(url, follow=True)
    assert b"1 message processed." in response.content
    quarantined.refresh_from_db()
    assert quarantined.status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1


def test_reprocess_needs_the_csrf_token(client, quarantined):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.handler.enforce_csrf_checks = True
    client.force_login(user)
    url = reverse("admin:tickets_inboundmessage_reprocess", args=[quarantined.pk])
    assert client.post(url).status_code == 403
    quarantined.refresh_from_db()
    assert quarantined.status == InboundStatus.QUARANTINED


def test_raw_download(admin_client_, quarantined):
    response = admin_client_.get(reverse("admin:tickets_inboundmessage_raw", args=[quarantined.pk]))
    assert response.content == RAW
    assert response["Content-Disposition"].startswith("attachment;")


def test_customers_and_plain_agents_do_not_reach_it(client, quarantined):
    for kind in (UserKind.CUSTOMER, UserKind.AGENT):
        user = User.objects.create_user(f"u-{kind}", password="pw", kind=kind)
        client.force_login(user)
        url = reverse("admin:tickets_inboundmessage_reprocess", args=[quarantined.pk])
        response = client.post(url)
        assert response.status_code in (302, 403)
    assert InboundMessage.objects.get(pk=quarantined.pk).status == InboundStatus.QUARANTINED


def _filter_post(pattern, header):
    return {
        "name": "spam",
        "stop": "on",
        "is_valid": "on",
        "matches-TOTAL_FORMS": "1",
        "matches-INITIAL_FORMS": "0",
        "matches-MIN_NUM_FORMS": "1",
        "matches-MAX_NUM_FORMS": "1000",
        "matches-0-header": "X-Spam-Flag",
        "matches-0-pattern": pattern,
        "sets-TOTAL_FORMS": "1",
        "sets-INITIAL_FORMS": "0",
        "sets-MIN_NUM_FORMS": "1",
        "sets-MAX_NUM_FORMS": "1000",
        "sets-0-header": header,
        "sets-0-value": "yes",
    }


def test_filter_form_refuses_bad_expressions_and_headers(admin_client_):
    url = reverse("admin:tickets_postmasterfilter_add")
    response = admin_client_.post(url, _filter_post("(unclosed", "X-OTRS-Ignore"))
    assert b"Not a valid regular expression" in response.content
    response = admin_client_.post(url, _filter_post("^yes$", "X-Whatever"))
    assert b"is not a header the postmaster understands" in response.content
    assert not PostmasterFilter.objects.exists()
    response = admin_client_.post(url, _filter_post("^yes$", "X-OTRS-Ignore"))
    assert response.status_code == 302
    assert PostmasterFilter.objects.get().sets.get().header == "X-OTRS-Ignore"
