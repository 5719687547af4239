"""Webhooks against a real HTTP server on loopback: signed deliveries driven by the outbox,
filters, retries with back-off, the delivery log, redelivery and disabling."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from otrs.mail.models import OutboundMessage
from otrs.webhooks import delivery, signing
from otrs.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from tests import factories
from tests.cmdb import ci_class, make_ci
from tickets import actions
from tickets.events import TicketEvent

pytestmark = pytest.mark.django_db


class Receiver:
    """A loopback HTTP server that keeps every request and answers the codes it is given
    (the last one again once the list is used up)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.codes = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                answer = f"webhook-test answer {code}".encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def loopback_allowed(settings):
    """The receiver listens on loopback, which webhooks may not reach unless allowed."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def receiver(loopback_allowed):
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def queues():
    group = factories.group("webhook-test group")
    return factories.queue("Webhook-test A", group_=group), factories.queue(
        "Webhook-test B", group_=group
    )


def make_hook(url: str, queue=None, **extra) -> Webhook:
    return Webhook.objects.create(
        name=extra.pop("name", "webhook-test hook"),
        url=url,
        events=extra.pop("events", [TicketEvent.TICKET_CREATE.value]),
        filters={"ticket.queue": [str(queue.pk)]} if queue is not None else {},
        **extra,
    )


def test_it_sends_a_signed_event_and_logs_the_attempt(
    receiver, queues, django_capture_on_commit_callbacks
):
    hook = make_hook(receiver.url, queues[0])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.ticket(queues[0], title="Webhook-test printer")
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert signing.verify(
        hook.secret,
        body,
        headers[signing.TIMESTAMP_HEADER],
        headers[signing.SIGNATURE_HEADER],
    )
    assert not signing.verify(
        "another secret", body, headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    )
    assert not signing.verify(
        hook.secret,
        body + b" ",
        headers[signing.TIMESTAMP_HEADER],
        headers[signing.SIGNATURE_HEADER],
    )
    payload = json.loads(body)
    assert payload["event"] == "TicketCreate" == headers[signing.EVENT_HEADER]
    assert payload["object"]["number"] == ticket.number
    assert payload["object"]["queue"]["id"] == queues[0].pk
    row = WebhookDelivery.objects.get()
    assert headers[signing.DELIVERY_HEADER] == str(row.uuid) == payload["delivery"]
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 1, 200)
    attempt = WebhookAttempt.objects.get()
    assert attempt.succeeded and attempt.status_code == 200
    assert attempt.response_excerpt == "webhook-test answer 200"


def test_a_replayed_request_is_refused_by_the_check():
    body = b'{"event": "TicketCreate"}'
    headers = signing.headers(
        "s3cret", delivery="d", event="TicketCreate", body=body, timestamp=1000
    )
    stamp, signed = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    assert signing.verify("s3cret", body, stamp, signed, now=1000 + 299)
    assert not signing.verify("s3cret", body, stamp, signed, now=1000 + 301)
    assert not signing.verify("s3cret", body, "not a number", signed, now=1000)


def test_filters_and_event_choice_decide_what_is_sent(
    receiver, queues, django_capture_on_commit_callbacks
):
    make_hook(receiver.url, queues[0], events=[TicketEvent.TICKET_STATE_UPDATE.value])
    with django_capture_on_commit_callbacks(execute=True):
        mine = factories.ticket(queues[0])  # TicketCreate: not chosen
        other = factories.ticket(queues[1])
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_state(other, factories.state("closed successful"), actor=factories.system())
    assert receiver.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_state(mine, factories.state("closed successful"), actor=factories.system())
    assert [json.loads(r["body"])["object_id"] for r in receiver.requests] == [mine.pk]
    assert json.loads(receiver.requests[0]["body"])["event"] == "TicketStateUpdate"


def test_a_failed_delivery_is_retried_with_growing_pauses(
    receiver, queues, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver.codes = [500, 503, 200]
    make_hook(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        factories.ticket(queues[0])
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    first_pause = row.next_attempt_at
    # Not due yet: the sweep leaves it.
    assert delivery.send_due(now=first_pause - timedelta(seconds=1)) == 0
    assert len(receiver.requests) == 1
    delivery.send_due(now=first_pause)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 2, 503)
    # The second pause is twice the first.
    assert row.next_attempt_at - first_pause == timedelta(seconds=120)
    assert delivery.send_due(now=row.next_attempt_at) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 3, 200)
    assert [a.status_code for a in row.attempt_log.all()] == [500, 503, 200]
    # The same delivery id every time, a new signature per attempt's timestamp.
    ids = {r["headers"][signing.DELIVERY_HEADER] for r in receiver.requests}
    assert ids == {str(row.uuid)}


def test_a_hook_that_keeps_failing_is_disabled_and_the_admins_told_once(
    receiver, queues, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    settings.WEBHOOK_ALERT_TO = "webhook-test-admin@example.test"
    receiver.codes = [500]
    hook = make_hook(receiver.url, retry_hours=1)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            factories.ticket(queues[0])
    now = timezone.now()
    # Past the hour of retries: every delivery is tried once more and then fails for good.
    while WebhookDelivery.objects.filter(status="pending").exists():
        now = min(
            WebhookDelivery.objects.filter(status="pending").values_list(
                "next_attempt_at", flat=True
            )
        )
        delivery.send_due(now=now)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    hook.refresh_from_db()
    assert not hook.active and hook.disabled_at is not None
    assert "500" in hook.disabled_reason
    alerts = OutboundMessage.objects.filter(idempotency_key__startswith="webhook-disabled:")
    assert alerts.count() == 1
    # A disabled hook gets no new deliveries, and no second alert.
    with django_capture_on_commit_callbacks(execute=True):
        factories.ticket(queues[0])
    assert WebhookDelivery.objects.count() == 2
    assert alerts.count() == 1
    # Enabled again, with a clean count, it hears of new events.
    delivery.enable(hook)
    hook.refresh_from_db()
    assert hook.active and hook.consecutive_failures == 0 and hook.disabled_at is None
    receiver.codes = [200]
    with django_capture_on_commit_callbacks(execute=True):
        factories.ticket(queues[0])
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 1
    # Each delivery was retried with pauses until its hour was over.
    row = WebhookDelivery.objects.order_by("pk").first()
    assert row.attempts > 2
    assert row.finished_at <= row.retry_until + timedelta(
        seconds=settings.WEBHOOK_RETRY_MAX_SECONDS
    )


def test_the_admin_lists_deliveries_and_sends_one_again(
    receiver, queues, client, django_capture_on_commit_callbacks
):
    admin = factories.agent("webhook-test-admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    receiver.codes = [500, 200]
    hook = make_hook(receiver.url, retry_hours=0)
    with django_capture_on_commit_callbacks(execute=True):
        factories.ticket(queues[0])
    row = WebhookDelivery.objects.get()
    assert row.status == "failed"
    listing = client.get("/admin/webhooks/webhookdelivery/", {"hook__id__exact": hook.pk})
    assert listing.status_code == 200
    page = client.get(f"/admin/webhooks/webhookdelivery/{row.pk}/change/")
    assert page.status_code == 200
    assert "webhook-test answer 500" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [row.pk]},
        )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 2, 200)
    assert len(receiver.requests) == 2


def test_the_admin_registers_a_hook_with_events_and_filters(client, queues):
    admin = factories.agent("webhook-test-admin2", is_staff=True, is_superuser=True)
    client.force_login(admin)
    form = client.get("/admin/webhooks/webhook/add/")
    assert form.status_code == 200
    assert "TicketCreate" in form.content.decode()
    response = client.post(
        "/admin/webhooks/webhook/add/",
        {
            "name": "webhook-test from the admin",
            "url": "https://example.test/hook",
            "active": "on",
            "retry_hours": "12",
            "events": ["TicketCreate", "ArticleCreate"],
            "filter__ticket__queue": [str(queues[1].pk)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    hook = Webhook.objects.get(name="webhook-test from the admin")
    assert hook.events == ["ArticleCreate", "TicketCreate"]
    assert hook.filters == {"ticket.queue": [str(queues[1].pk)]}
    assert hook.created_by == admin and len(hook.secret) > 30
    page = client.get(f"/admin/webhooks/webhook/{hook.pk}/change/")
    assert hook.secret in page.content.decode()
    assert signing.SIGNATURE_HEADER in page.content.decode()
    refused = client.post(
        "/admin/webhooks/webhook/add/",
        {
            "name": "webhook-test bad",
            "url": "ftp://example.test/",
            "retry_hours": "1",
            "events": ["NoSuchEvent"],
        },
    )
    assert refused.status_code == 200
    assert not Webhook.objects.filter(name="webhook-test bad").exists()


def test_configuration_item_events_reach_a_hook_filtered_by_class(
    receiver, django_capture_on_commit_callbacks
):
    Webhook.objects.create(
        name="webhook-test CMDB",
        url=receiver.url,
        events=["ConfigItemCreate"],
        filters={"configitem.class": [str(ci_class("Computer").pk)]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        computer = make_ci("webhook-test-pc")
    with django_capture_on_commit_callbacks(execute=True):
        make_ci("webhook-test-net", "Network")
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert [(b["event"], b["object_id"]) for b in bodies] == [("ConfigItemCreate", computer.pk)]
    assert bodies[0]["object"]["class"]["name"] == "Computer"


# --- which addresses a hook may reach (server-side request forgery) ------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(factories.agent("webhook-test-ssrf-admin", is_staff=True, is_superuser=True))
    return client


def post_hook(client, url: str):
    return client.post(
        "/admin/webhooks/webhook/add/",
        {"name": "webhook-test ssrf", "url": url, "retry_hours": "1", "events": ["TicketCreate"]},
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_it_refuses_internal_addresses_when_a_hook_is_saved(admin_client, url):
    response = post_hook(admin_client, url)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "not a public address" in errors["url"][0]
    assert "WEBHOOK_ALLOWED_NETWORKS" in errors["url"][0]
    assert not Webhook.objects.filter(name="webhook-test ssrf").exists()


def test_an_allowed_network_may_be_saved(admin_client, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8", "fd00::/8"]
    assert post_hook(admin_client, "http://10.1.2.3/hook").status_code == 302
    assert Webhook.objects.get(name="webhook-test ssrf").url == "http://10.1.2.3/hook"
    refused = post_hook(admin_client, "http://169.254.169.254/hook")
    assert "not a public address" in refused.context["adminform"].form.errors["url"][0]


PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy_env(monkeypatch):
    """No proxy named by the environment, whatever the machine's own environment says."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


# A name of one label that no resolver here knows: only a proxy's resolver could.
SINGLE_LABEL = "http://webhookrelayfaqtwo:8080/in"
PROXY_ONLY = "https://relay.webhook-proxy-only.invalid/in"


def test_a_name_only_the_proxy_resolves_may_be_saved_when_a_proxy_applies(
    admin_client, no_proxy_env
):
    no_proxy_env.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    no_proxy_env.setenv("HTTP_PROXY", "http://proxy.example.test:3128")
    for url in (SINGLE_LABEL, PROXY_ONLY):
        assert post_hook(admin_client, url).status_code == 302, url
        assert Webhook.objects.get(name="webhook-test ssrf").url == url
        Webhook.objects.filter(name="webhook-test ssrf").delete()


def test_without_a_proxy_a_name_of_one_label_is_refused_with_the_reason(admin_client, no_proxy_env):
    refused = post_hook(admin_client, SINGLE_LABEL)
    error = refused.context["adminform"].form.errors["url"][0]
    assert "webhookrelayfaqtwo is not a full host name" in error and "HTTPS_PROXY" in error
    # NO_PROXY takes the host away from the proxy: refused again.
    no_proxy_env.setenv("HTTP_PROXY", "http://proxy.example.test:3128")
    no_proxy_env.setenv("NO_PROXY", "webhookrelayfaqtwo,example.org")
    refused = post_hook(admin_client, SINGLE_LABEL)
    assert "not a full host name" in refused.context["adminform"].form.errors["url"][0]
    # Nonsense stays nonsense, proxy or not.
    garbage = post_hook(admin_client, "http://under_score-/in")
    assert garbage.context["adminform"].form.errors["url"] == ["Enter a valid URL."]
    assert not Webhook.objects.filter(name="webhook-test ssrf").exists()


@pytest.mark.parametrize(
    "url", ["http://localhost/hook", "http://127.0.0.1:8000/hook", "http://10.1.2.3/hook"]
)
def test_with_a_proxy_internal_addresses_are_still_refused(admin_client, no_proxy_env, url):
    no_proxy_env.setenv("HTTP_PROXY", "http://proxy.example.test:3128")
    response = post_hook(admin_client, url)
    assert "not a public address" in response.context["adminform"].form.errors["url"][0]
    assert not Webhook.objects.filter(name="webhook-test ssrf").exists()


def test_with_a_proxy_an_allowed_network_may_still_be_saved(admin_client, settings, no_proxy_env):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    no_proxy_env.setenv("HTTP_PROXY", "http://proxy.example.test:3128")
    assert post_hook(admin_client, "http://10.1.2.3/hook").status_code == 302


def test_the_german_admin_reads_why(client):
    admin = factories.agent("webhook-test-ssrf-de", is_staff=True, is_superuser=True, language="de")
    client.force_login(admin)
    response = client.post(
        "/admin/webhooks/webhook/add/",
        {"name": "webhook-test ssrf", "url": "http://127.0.0.1/", "events": ["TicketCreate"]},
    )
    assert "keine öffentliche Adresse" in response.context["adminform"].form.errors["url"][0]


def test_loopback_is_refused_at_send_time_by_default(
    receiver, queues, settings, django_capture_on_commit_callbacks
):
    # Saved while allowed (or written past the form), sent after the setting changed.
    hook = make_hook(receiver.url, queues[0], retry_hours=0)
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with django_capture_on_commit_callbacks(execute=True):
        factories.ticket(queues[0])
    row = WebhookDelivery.objects.get(hook=hook)
    assert row.status == "failed"
    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get(delivery=row)
    assert not attempt.succeeded and attempt.status_code is None
    assert attempt.error.startswith("Not sent: 127.0.0.1 resolves to 127.0.0.1")
    assert row.last_error == attempt.error


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://localhost:9/hook"]
)
def test_link_local_and_names_of_loopback_are_refused_at_send_time(queues, url):
    hook = make_hook(url, queues[0], retry_hours=0)
    ticket = factories.ticket(queues[0])
    row = WebhookDelivery.objects.create(
        hook=hook,
        event_id=0,
        event="TicketCreate",
        object_type="ticket",
        object_id=ticket.pk,
        body="{}",
        retry_until=timezone.now(),
    )
    assert delivery.send(row.pk) == "failed"
    attempt = WebhookAttempt.objects.get(delivery=row)
    assert "not a public address" in attempt.error and attempt.status_code is None


def test_a_name_is_connected_to_at_the_checked_address_with_its_own_host_header(
    receiver, queues, django_capture_on_commit_callbacks
):
    port = receiver.server.server_address[1]
    make_hook(f"http://localhost:{port}/hook", queues[0])
    with django_capture_on_commit_callbacks(execute=True):
        factories.ticket(queues[0])
    assert WebhookDelivery.objects.get().status == "succeeded"
    assert receiver.requests[0]["headers"]["Host"] == f"localhost:{port}"
