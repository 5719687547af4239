"""Personal access tokens: hashed, scoped, expiring, revocable; who may use the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from otrs.api.models import AccessToken
from otrs.api.throttling import ApiUserThrottle
from tests import factories
from tests.customer_portal import ticket_data

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db


def test_it_keeps_only_a_hash_and_records_use(support):
    plain = token_for(support.rw)
    row = AccessToken.objects.get(user=support.rw)
    assert plain.startswith(f"otrs_{row.prefix}_")
    assert plain not in row.token_hash and row.last_used_at is None
    response = ApiClient(plain).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "rw_agent"
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_it_refuses_wrong_expired_and_revoked_tokens(support):
    plain = token_for(support.rw, days=1)
    assert (
        ApiClient(plain[:-1] + ("A" if plain[-1] != "A" else "B")).get("/api/v1/me/").status_code
        == 401
    )
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        expired = ApiClient(plain).get("/api/v1/me/")
    assert expired.status_code == 401
    assert expired.json()["code"] == "authentication_failed"
    assert expired["Content-Type"] == "application/problem+json"
    client = ApiClient(plain)
    token = AccessToken.objects.get(user=support.rw)
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_a_read_token_reads_but_never_writes(support):
    ticket = factories.ticket(support.queue)
    client = ApiClient(token_for(support.rw, scope="read"))
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    refused = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"title": "No"})
    assert refused.status_code == 403
    ticket.refresh_from_db()
    assert ticket.title == "Printer on fire"


def test_customers_need_the_setting(settings):
    customer = ticket_data.customer("api-cust")
    settings.API_CUSTOMER_ACCESS = False
    assert ApiClient(token_for(customer)).get("/api/v1/tickets/").status_code == 403
    settings.API_CUSTOMER_ACCESS = True
    assert ApiClient(token_for(customer)).get("/api/v1/tickets/").status_code == 200


def test_session_auth_serves_the_docs_and_needs_csrf_to_write(support):
    client = Client(enforce_csrf_checks=True)
    client.force_login(support.rw)
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content and b"cdn" not in docs.content.lower()
    assert client.get("/api/v1/schema/").status_code == 200
    ticket = factories.ticket(support.queue)
    refused = client.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"title": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_the_agent_page_shows_a_new_token_once_and_revokes_it(support):
    client = Client()
    client.force_login(support.rw)
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    page = client.post(
        "/agent/preferences/tokens/", {"name": "CI", "scope": "read", "expires_on": day}
    )
    assert page.status_code == 200
    row = AccessToken.objects.get(user=support.rw)
    shown = page.content.decode()
    assert f"otrs_{row.prefix}_" in shown
    again = client.get("/agent/preferences/tokens/").content.decode()
    assert f"otrs_{row.prefix}_" not in again and f"otrs_{row.prefix}…" in again
    # Another agent's token is missing for them (404), their own is revoked.
    other = Client()
    other.force_login(support.ro)
    assert other.post(f"/agent/preferences/tokens/{row.pk}/revoke/").status_code == 404
    assert client.post(f"/agent/preferences/tokens/{row.pk}/revoke/").status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    too_far = (timezone.localdate() + timedelta(days=4000)).isoformat()
    refused = client.post(
        "/agent/preferences/tokens/", {"name": "x", "scope": "read", "expires_on": too_far}
    )
    assert AccessToken.objects.count() == 1 and b"errorlist" in refused.content


def test_admins_list_and_revoke_tokens(support):
    token_for(support.rw)
    admin = factories.agent("boss", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/api/accesstoken/").status_code == 200
    row = AccessToken.objects.get()
    response = client.post(
        "/admin/api/accesstoken/",
        {"action": "revoke", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_it_throttles_per_user(support, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": "3/hour", "api_anon": "2/hour"},
    }
    # DRF reads the rates when the throttle class is defined: give it the new ones, and the
    # old ones back after (api_settings still holds the test's while the override lasts).
    original = ApiUserThrottle.THROTTLE_RATES
    ApiUserThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        client = ApiClient(token_for(support.rw))
        codes = [client.get("/api/v1/me/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
    finally:
        ApiUserThrottle.THROTTLE_RATES = original
