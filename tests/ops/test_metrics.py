"""/metrics: Prometheus text for a scraper with the token, 404 for everyone else."""

from __future__ import annotations

import pytest

from otrs.daemon import tasks
from otrs.mail.models import MailAccount, OutboundMessage

pytestmark = pytest.mark.django_db


def test_it_does_not_exist_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_it_refuses_a_wrong_token_as_missing(client, settings):
    settings.METRICS_TOKEN = "right"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_it_reports_queues_accounts_and_heartbeat(client, settings, django_assert_max_num_queries):
    settings.METRICS_TOKEN = "right"
    OutboundMessage.objects.create(
        kind="system", envelope_from="a@example.test", recipients=["b@example.test"], raw=b"x"
    )
    MailAccount.objects.create(
        name='Sup"port', protocol="imap", host="127.0.0.1", login="x", fetched_total=7
    )
    tasks.heartbeat()
    with django_assert_max_num_queries(6):
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer right")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    lines = response.content.decode().splitlines()
    assert 'otrs_outgoing_mail_messages{status="queued"} 1' in lines
    assert 'otrs_outgoing_mail_messages{status="sent"} 0' in lines
    assert 'otrs_mail_fetched_total{account="Sup\\"port"} 7' in lines
    assert "# TYPE otrs_mail_fetched_total counter" in lines
    assert 'otrs_event_deliveries{status="failed"} 0' in lines
    heartbeat = next(line for line in lines if line.startswith("otrs_daemon_heartbeat_timestamp"))
    assert float(heartbeat.split()[1]) > 0
