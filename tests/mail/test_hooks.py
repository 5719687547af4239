"""The transport's hand-over points (otrs.mail.hooks): the inbound receiver the ticket channel
registers, delivery listeners that cannot hurt each other, and own-address checks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from otrs.mail import hooks, loop
from otrs.mail.models import MailAccount, Protocol
from tickets.models import InboundMessage, Queue, SystemAddress
from tickets.postmaster import intake

pytestmark = pytest.mark.django_db

REPORT = hooks.DeliveryReport(
    message_id=7, status="sent", recipients=("a@example.com",), attempts=1
)


@pytest.fixture
def no_receiver():
    hooks.set_inbound_receiver(None)
    yield
    hooks.set_inbound_receiver(intake.receive_fetched)


def test_the_ticket_channel_receives_fetched_mail():
    account = MailAccount.objects.create(
        name="box", protocol=Protocol.IMAP, host="mail.test", login="l", password="p"
    )
    raw = b"From: a@example.com\r\nSubject: Fetched\r\nMessage-ID: <f-1@x>\r\n\r\nHello\r\n"
    receipt = hooks.receive(raw, account_id=account.pk, trusted=False)
    again = hooks.receive(raw, account_id=account.pk, trusted=False)
    assert not receipt.duplicate
    assert (again.stored_id, again.duplicate) == (receipt.stored_id, True)
    stored = InboundMessage.objects.get(pk=receipt.stored_id)
    assert (stored.account_id, stored.source, stored.ticket.title) == (
        account.pk,
        "account",
        "Fetched",
    )


def test_without_a_receiver_fetched_mail_is_refused(no_receiver):
    with pytest.raises(ImproperlyConfigured):
        hooks.receive(b"Subject: x\r\n\r\ny", account_id=1, trusted=False)


def test_a_failing_listener_is_logged_and_the_others_still_hear(caplog):
    heard = []

    def broken(report):
        raise RuntimeError("listener bug")

    hooks.on_delivery("test.broken", broken)
    hooks.on_delivery("test.heard", heard.append)
    try:
        hooks.report_delivery(REPORT)
    finally:
        hooks.remove_delivery_listener("test.broken")
        hooks.remove_delivery_listener("test.heard")
    assert heard == [REPORT]
    assert "delivery listener test.broken failed" in caplog.text


def test_our_system_addresses_get_no_automatic_mail():
    assert not loop.is_auto_suppressed_address("Desk@Helpdesk.test")
    SystemAddress.objects.create(
        email="desk@helpdesk.test", display_name="Desk", queue=Queue.objects.first()
    )
    assert loop.is_auto_suppressed_address("Desk@Helpdesk.test")
    assert loop.is_auto_suppressed_address("MAILER-DAEMON@example.com")
