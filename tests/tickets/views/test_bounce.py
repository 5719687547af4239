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


def test_the_form_offers_to_inform_the_sender_with_otrs_text(client, support, mail_ticket):
    client.force_login(support.rw)
    page = client.get(bounce_url(mail_ticket)).content.decode()
    assert 'name="inform_sender"' in page
    assert 'value="Bounce Sender &lt;bounce-sender@example.org&gt;"' in page
    assert f"Bounced: [Ticket#{mail_ticket.number}] Wrong desk" in page
    assert "&lt;OTRS_TICKET&gt;" in page and "&lt;OTRS_BOUNCE_TO&gt;" in page


def test_it_informs_the_sender_in_a_visible_article(client, support, mail_ticket):
    client.force_login(support.rw)
    answer = client.post(
        bounce_url(mail_ticket),
        {
            "to": "sales@example.net",
            "state": "",
            "inform_sender": "on",
            "inform_to": "Bounce Sender <bounce-sender@example.org>",
            "inform_subject": "Sent on to sales",
            "inform_body": "Ticket <OTRS_TICKET> went to <OTRS_BOUNCE_TO>.",
        },
    )
    assert answer.status_code == 302
    notice = mail_ticket.articles.order_by("pk").last()
    assert notice.subject == "Sent on to sales"
    assert notice.to_address == "Bounce Sender <bounce-sender@example.org>"
    assert notice.is_visible_for_customer and notice.sender_type == "agent"
    assert notice.body == f"Ticket {mail_ticket.number} went to sales@example.net."
    assert notice.in_reply_to == "<bounce-original@example.org>"
    queued = OutboundMessage.objects.get(recipients=["bounce-sender@example.org"])
    sent = message_from_bytes(queued.content(), policy=default_policy)
    assert "bounce-desk@example.test" in sent["From"]
    assert f"Ticket {mail_ticket.number} went to sales@example.net." in sent.get_content()
    assert OutboundMessage.objects.filter(recipients=["sales@example.net"]).count() == 1
    rows = TicketHistory.objects.filter(ticket=mail_ticket, history_type=HistoryType.BOUNCE)
    assert rows.count() == 2
    zoom = client.get(reverse("agent:zoom", args=[mail_ticket.pk])).content.decode()
    assert "Email bounced to sales@example.net." in zoom
    assert (
        "The sender was told of the bounce (Bounce Sender &lt;bounce-sender@example.org&gt;)."
        in zoom
    )


def test_informing_without_an_address_sends_nothing(client, support, mail_ticket):
    client.force_login(support.rw)
    before = OutboundMessage.objects.count()
    answer = client.post(
        bounce_url(mail_ticket),
        {"to": "sales@example.net", "inform_sender": "on", "inform_to": "", "inform_body": "x"},
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Needed to tell the sender." in page
    answer = client.post(
        bounce_url(mail_ticket),
        {
            "to": "sales@example.net",
            "inform_sender": "on",
            "inform_to": "not an address",
            "inform_subject": "S",
            "inform_body": "x",
        },
    )
    assert answer.status_code == 400
    assert "is not a valid email address" in answer.content.decode()
    assert OutboundMessage.objects.count() == before
    assert not TicketHistory.objects.filter(history_type=HistoryType.BOUNCE).exists()


def test_it_will_not_bounce_to_our_own_address(client, support, mail_ticket):
    client.force_login(support.rw)
    before = OutboundMessage.objects.count()
    answer = client.post(bounce_url(mail_ticket), {"to": "Bounce-Desk@example.test", "state": ""})
    assert answer.status_code == 400
    assert "is one of our own addresses" in answer.content.decode()
    assert OutboundMessage.objects.count() == before
