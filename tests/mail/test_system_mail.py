"""queue_system_mail: the one way the system queues a mail that is no ticket article."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from otrs.mail.models import OutboundKind, OutboundMessage, OutboundStatus
from otrs.mail.outbound import queue_system_mail

pytestmark = pytest.mark.django_db


def test_it_queues_plain_text_from_the_notification_sender_with_loop_headers(settings, outbox):
    settings.NOTIFICATION_FROM = "Help desk <helpdesk@desk.example>"

    row = queue_system_mail(
        to="Carla <carla@example.com>", subject="Reset\n your password", body="Follow the link."
    )

    assert (row.kind, row.status, row.recipients) == (
        OutboundKind.SYSTEM,
        OutboundStatus.QUEUED,
        ["carla@example.com"],
    )
    assert row.envelope_from == "helpdesk@desk.example"
    message = message_from_bytes(bytes(row.raw), policy=default_policy)
    assert message["Subject"] == "Reset your password"
    assert (message["Auto-Submitted"], message["Precedence"]) == ("auto-generated", "bulk")
    assert message.get_content().strip() == "Follow the link."
    assert [(name, pk) for name, pk, _data in outbox()] == [("OutboundMessageQueued", row.pk)]


def test_the_same_key_queues_one_mail():
    first = queue_system_mail(to="a@example.com", subject="S", body="B", idempotency_key="k:1")
    again = queue_system_mail(to="a@example.com", subject="S", body="B", idempotency_key="k:1")

    assert again.pk == first.pk
    assert OutboundMessage.objects.count() == 1
