"""Bounce (issue 18, part 6; OTRS AgentTicketBounce): a received mail sent on unchanged to
another address, with resent fields, a Bounce history row and the state OTRS suggests."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.urls import reverse

from otrs.mail.models import OutboundMessage
from tests import factories
from tickets.choices import HistoryType
from tickets.models import InboundSource, State, SystemAddress, Ticket, TicketHistory
from tickets.postmaster.intake import receive

pytestmark = pytest.mark.django_db

RAW = (
    b"From: Bounce Sender <bounce-sender@example.org>\r\n"
    b"To: bounce-desk@example.test\r\n"
    b"Subject: Wrong desk\r\n"
    b"Message-ID: <bounce-original@example.org>\r\n"
    b"\r\n"
    b"This was meant for sales.\r\n"
)


@pytest.fixture
def mail_ticket(support):
    support.queue.system_address = SystemAddress.objects.create(
        email="bounce-desk@example.test", display_name="Bounce Desk", queue=support.queue
    )
    support.queue.save()
    receive(RAW, source=InboundSource.PIPE)
    return Ticket.objects.get(title="Wrong desk")


def bounce_url(ticket):
    return reverse("agent:bounce", args=[ticket.pk, ticket.articles.first().pk])


def test_it_sends_the_original_on_and_closes(client, support, mail_ticket):
    client.force_login(support.rw)
    page = client.get(bounce_url(mail_ticket)).content.decode()
    assert "Bounce the email" in page
    closed = State.objects.get(name="closed successful")
    answer = client.post(bounce_url(mail_ticket), {"to": "sales@example.net", "state": closed.pk})
    assert answer.status_code == 302
    queued = OutboundMessage.objects.get(recipients=["sales@example.net"])
    sent = message_from_bytes(bytes(queued.raw), policy=default_policy)
    assert sent["Message-ID"] == "<bounce-original@example.org>"
    assert sent["From"] == "Bounce Sender <bounce-sender@example.org>"
    assert sent["Resent-To"] == "sales@example.net"
    assert "bounce-desk@example.test" in sent["Resent-From"]
    assert "This was meant for sales." in sent.get_content()
    mail_ticket.refresh_from_db()
    assert mail_ticket.state == closed
    row = TicketHistory.objects.get(ticket=mail_ticket, history_type=HistoryType.BOUNCE)
    assert row.new_value == "sales@example.net"
    zoom = client.get(reverse("agent:zoom", args=[mail_ticket.pk])).content.decode()
    assert "Email bounced to sales@example.net." in zoom
    assert 'data-article-action="bounce"' in zoom


def test_a_bad_address_sends_nothing(client, support, mail_ticket):
    client.force_login(support.rw)
    answer = client.post(bounce_url(mail_ticket), {"to": "not an address", "state": ""})
    assert answer.status_code == 400
    assert not [m for m in OutboundMessage.objects.all() if "not an address" in m.recipients]
    assert not TicketHistory.objects.filter(history_type=HistoryType.BOUNCE).exists()


def test_phone_articles_and_readers_get_404(client, support, mail_ticket):
    phone = factories.ticket(support.queue, title="Bounce phone")
    client.force_login(support.rw)
    assert client.get(bounce_url(phone)).status_code == 404
    client.force_login(support.ro)
    assert client.get(bounce_url(mail_ticket)).status_code == 404
