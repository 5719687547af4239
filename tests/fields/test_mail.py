"""Custom fields through the mail channel: X-OTRS-DynamicField-<Name> on new tickets and
X-OTRS-FollowUp-DynamicField-<Name> on follow-ups (trusted mail only), postmaster filter
"set" rules, every type parsed from a header; bad values ignored, the mail processed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otrs.fields.actions import set_field_values
from otrs.fields.selectors import definitions, values_for
from tests import factories
from tickets import mailtexts
from tickets.choices import HistoryType
from tickets.models import (
    FilterMatch,
    FilterSet,
    InboundSource,
    InboundStatus,
    PostmasterFilter,
    SystemAddress,
    TicketHistory,
)
from tickets.postmaster.intake import receive

from .helpers import define, every_type

pytestmark = pytest.mark.django_db


def mail(subject="Printer broken", *, headers="") -> bytes:
    text = (
        f"From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{abs(hash((subject, headers)))}@example.com>\r\n"
        f"Date: Mon, 02 Mar 2026 10:15:00 +0100\r\n{headers}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
    )
    return text.encode()


def pipe(raw: bytes, **kwargs):
    return receive(raw, source=InboundSource.PIPE, **kwargs)


@pytest.fixture
def support_address(support):
    return SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )


def _filter(name, matches, sets):
    flt = PostmasterFilter.objects.create(name=name)
    for header, pattern, negate in matches:
        FilterMatch.objects.create(filter=flt, header=header, pattern=pattern, negate=negate)
    for header, value in sets:
        FilterSet.objects.create(filter=flt, header=header, value=value)
    return flt


def values(ticket):
    return values_for("ticket", [ticket], definitions("ticket"))[ticket.pk]


def test_trusted_headers_set_every_type_on_a_new_ticket(support_address):
    every_type()
    other = factories.ticket(support_address.queue, title="Other")
    headers = (
        "X-OTRS-DynamicField-Contract: C-5\r\n"
        "X-OTRS-DynamicField-Notes: long text\r\n"
        "X-OTRS-DynamicField-Urgent: 1\r\n"
        "X-OTRS-DynamicField-Product: beta\r\n"
        "X-OTRS-DynamicField-Sites: paris, rome\r\n"
        "X-OTRS-DynamicField-Seats: 12\r\n"
        "X-OTRS-DynamicField-Amount: 3.5\r\n"
        "X-OTRS-DynamicField-DueDate: 2031-04-01\r\n"
        "X-OTRS-DynamicField-Visit: 2031-04-01 10:00\r\n"
        f"X-OTRS-DynamicField-Related: {other.number}\r\n"
    )
    ticket = pipe(mail(headers=headers)).ticket
    found = values(ticket)
    assert found["Contract"] == "C-5"
    assert found["Notes"] == "long text"
    assert found["Urgent"] is True
    assert found["Product"] == "beta"
    assert found["Sites"] == ["paris", "rome"]
    assert found["Seats"] == 12
    assert found["Amount"] == Decimal("3.5")
    assert found["DueDate"] == date(2031, 4, 1)
    assert found["Visit"].isoformat().startswith("2031-04-01T10:00")
    assert found["Related"] == other.pk
    assert (
        TicketHistory.objects.filter(
            ticket=ticket, history_type=HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
        ).count()
        == 10
    )


def test_untrusted_mail_cannot_set_fields(support_address):
    define("Product", "dropdown", options=["alpha"])
    ticket = pipe(mail(headers="X-OTRS-DynamicField-Product: alpha\r\n"), trusted=False).ticket
    assert values(ticket) == {}


def test_bad_header_values_are_ignored_and_the_mail_processed(support_address):
    define("Product", "dropdown", options=["alpha"])
    define("Seats", "integer")
    stored = pipe(
        mail(
            headers=(
                "X-OTRS-DynamicField-Product: zeta\r\nX-OTRS-DynamicField-Seats: 4\r\n"
                "X-OTRS-DynamicField-Nothing: 1\r\n"
            )
        )
    )
    assert stored.status == InboundStatus.PROCESSED
    assert values(stored.ticket) == {"Seats": 4}


def test_follow_up_headers_set_fields_on_the_ticket(support_address):
    define("Product", "dropdown", options=["alpha", "beta"])
    first = pipe(mail(headers="X-OTRS-DynamicField-Product: alpha\r\n")).ticket
    follow = pipe(
        mail(
            f"Re: [Ticket#{first.number}] Printer broken",
            headers=(
                "X-OTRS-DynamicField-Product: alpha\r\n"  # new-ticket only: ignored here
                "X-OTRS-FollowUp-DynamicField-Product: beta\r\n"
            ),
        )
    )
    assert follow.ticket.pk == first.pk
    assert values(first) == {"Product": "beta"}


def test_a_filter_sets_a_field_even_for_untrusted_mail(support_address):
    define("Product", "dropdown", options=["alpha", "beta"])
    _filter("a", [("Subject", r"vpn", False)], [("X-OTRS-DynamicField-Product", "beta")])
    ticket = pipe(mail("VPN down"), trusted=False).ticket
    assert values(ticket) == {"Product": "beta"}


def test_mail_text_tags_show_the_label_and_the_raw_value(support):
    define("Product", "dropdown", options=["alpha", "beta"])
    define("Seats", "integer")
    ticket = factories.ticket(support.queue)
    set_field_values(ticket, {"Product": "beta", "Seats": 3}, actor=support.rw)
    text = mailtexts.render(
        "P=<OTRS_TICKET_DynamicField_Product> K=<OTRS_TICKET_DynamicField_Product_Value> "
        "S=<OTRS_TICKET_DynamicField_Seats> N=<OTRS_TICKET_DynamicField_Nothing>",
        ticket=ticket,
    )
    assert text == "P=Beta K=beta S=3 N=-"
