"""A mail whose decoded text holds NUL bytes and lone surrogates goes through the real intake
into the real database (SQLite here; run with DATABASE_URL for PostgreSQL, which refuses NUL
in text columns) and becomes a ticket: the parser hands the store clean text only."""

from __future__ import annotations

import base64

from tickets.models import Article, InboundMessage, InboundSource, InboundStatus, SystemAddress
from tickets.postmaster.intake import receive

RAW = (
    b"From: =?utf-8?q?Eve=00_Sender?= <eve@example.com>\r\n"
    b"To: support@helpdesk.test\r\n"
    b"Subject: =?utf-8?q?a=00b?=\r\n"
    b"Message-ID: <nul\x00id@example.com>\r\n"
    b"X-Odd: \xff\xfe\x00\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.b64encode("body\x00 with NUL and \ud800 lone".encode("utf-8", "surrogatepass"))
    + b"\r\n"
)


def test_nul_mail_becomes_a_ticket(support):
    SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )
    stored = receive(RAW, source=InboundSource.PIPE)
    stored = InboundMessage.objects.get(pk=stored.pk)
    assert stored.status == InboundStatus.PROCESSED
    article = Article.objects.get(ticket=stored.ticket)
    assert article.subject == "ab"
    assert "\x00" not in article.body and "body with NUL" in article.body
    assert "Eve Sender" in article.from_address and "\x00" not in article.from_address
