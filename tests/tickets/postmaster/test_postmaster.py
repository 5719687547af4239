"""The postmaster pipeline: raw store, dispatch, customers, X-OTRS headers and trust, filters,
follow-up detection, closed-ticket options, bounces, quarantine and reprocessing, and the
``postmaster`` command's exit codes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import translation

from customers.models import CustomerCompany, CustomerUser
from otrs.mail.models import OutboundMessage, OutboundStatus
from tests import factories
from tickets.actions import lock_ticket, merge_tickets, set_state
from tickets.choices import FollowUpOption, HistoryType, LinkType, StateType
from tickets.models import (
    Article,
    FilterMatch,
    FilterSet,
    InboundMessage,
    InboundSource,
    InboundStatus,
    Outcome,
    PostmasterFilter,
    Queue,
    SystemAddress,
    Ticket,
    TicketHistory,
    TicketLink,
)
from tickets.postmaster import intake
from tickets.postmaster.intake import receive, reprocess
from tickets.tasks import reprocess_quarantine

BASE_DIR = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db


def mail(
    subject="Printer broken",
    *,
    sender="Alice <alice@example.com>",
    to="support@helpdesk.test",
    body="It does not print.",
    message_id=None,
    headers="",
) -> bytes:
    message_id = message_id or f"<{abs(hash((subject, body, headers)))}@example.com>"
    text = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"Date: Mon, 02 Mar 2026 10:15:00 +0100\r\n{headers}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    return text.encode()


def pipe(raw: bytes, **kwargs):
    kwargs.setdefault("source", InboundSource.PIPE)
    return receive(raw, **kwargs)


@pytest.fixture
def support_address(support):
    return SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )


# --- new tickets --------------------------------------------------------------------------


def test_new_ticket_dispatched_by_system_address(support_address):
    stored = pipe(mail())
    assert stored.status == InboundStatus.PROCESSED
    assert stored.outcome == Outcome.NEW_TICKET
    ticket = stored.ticket
    assert ticket.queue == support_address.queue
    assert ticket.title == "Printer broken"
    assert ticket.state.state_type == StateType.NEW
    article = stored.article
    assert article.channel == "email" and article.sender_type == "customer"
    assert article.is_visible_for_customer
    assert article.from_address == "Alice <alice@example.com>"
    assert "It does not print." in article.body
    assert bytes(article.raw.content) == mail()
    # The store and the article share one copy of the bytes.
    assert InboundMessage.objects.get(pk=stored.pk).blob_id == article.raw.blob_id
    assert bytes(InboundMessage.objects.get(pk=stored.pk).raw) == mail()
    history = TicketHistory.objects.filter(ticket=ticket).values_list("history_type", flat=True)
    assert HistoryType.EMAIL_CUSTOMER in history


def test_unknown_recipient_goes_to_the_default_queue(db):
    stored = pipe(mail(to="nobody@elsewhere.test"))
    assert stored.ticket.queue.full_name == "Raw"


def test_forced_queue_wins_over_the_system_address(support_address):
    misc = Queue.objects.get(full_name="Misc")
    assert pipe(mail(), queue=misc).ticket.queue == misc


def test_recipient_order_cc_after_to(support):
    other = factories.queue("Sales", group_=support.group)
    SystemAddress.objects.create(email="sales@helpdesk.test", display_name="Sales", queue=other)
    SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )
    raw = mail(to="someone@else.test, sales@helpdesk.test", headers="Cc: support@helpdesk.test\r\n")
    assert pipe(raw).ticket.queue == other


def test_known_customer_is_found_by_address(support_address):
    company = CustomerCompany.objects.create(customer_id="ACME", name="Acme")
    user = factories.customer("alice")
    CustomerUser.objects.create(user=user, email="Alice@Example.com", company=company)
    ticket = pipe(mail()).ticket
    assert (ticket.customer_user, ticket.customer_id) == ("alice", "ACME")


def test_unknown_sender_becomes_customer_id(support_address):
    ticket = pipe(mail(sender="Bob <Bob@Unknown.test>")).ticket
    assert (ticket.customer_user, ticket.customer_id) == ("bob@unknown.test", "bob@unknown.test")


# --- X-OTRS headers and trust ---------------------------------------------------------------

X_HEADERS = (
    "X-OTRS-Queue: Misc\r\nX-OTRS-Priority: 5 very high\r\nX-OTRS-Title: From header\r\n"
    "X-OTRS-CustomerUser: vip\r\nX-OTRS-CustomerNo: VIP-1\r\nX-OTRS-IsVisibleForCustomer: no\r\n"
)


def test_trusted_mail_may_set_ticket_values(support_address):
    ticket = pipe(mail(headers=X_HEADERS)).ticket
    assert ticket.queue.full_name == "Misc"
    assert ticket.priority.name == "5 very high"
    assert ticket.title == "From header"
    assert (ticket.customer_user, ticket.customer_id) == ("vip", "VIP-1")
    assert not ticket.articles.get().is_visible_for_customer


def test_untrusted_mail_cannot(support_address):
    ticket = pipe(mail(headers=X_HEADERS), trusted=False).ticket
    assert ticket.queue == support_address.queue
    assert ticket.priority.name == "3 normal"
    assert ticket.title == "Printer broken"
    assert ticket.articles.get().is_visible_for_customer


def test_invalid_header_values_are_ignored_not_fatal(support_address):
    raw = mail(headers="X-OTRS-Queue: No::Such\r\nX-OTRS-Owner: ghost\r\nX-OTRS-State: nope\r\n")
    stored = pipe(raw)
    assert stored.status == InboundStatus.PROCESSED
    assert stored.ticket.queue == support_address.queue


def test_ignore_header_drops_the_mail(support_address):
    stored = pipe(mail(headers="X-OTRS-Ignore: yes\r\n"))
    assert stored.status == InboundStatus.IGNORED
    assert not Ticket.objects.exists()
    # An ignored mail keeps its bytes: there is no article holding them.
    assert bytes(InboundMessage.objects.get(pk=stored.pk).raw) == mail(
        headers="X-OTRS-Ignore: yes\r\n"
    )


# --- filters ----------------------------------------------------------------------------------


def _filter(name, matches, sets, *, stop=False):
    flt = PostmasterFilter.objects.create(name=name, stop=stop)
    for header, pattern, negate in matches:
        FilterMatch.objects.create(filter=flt, header=header, pattern=pattern, negate=negate)
    for header, value in sets:
        FilterSet.objects.create(filter=flt, header=header, value=value)
    return flt


def test_filters_set_headers_even_for_untrusted_mail(support_address):
    _filter("a", [("Subject", r"urgent", False)], [("X-OTRS-Priority", "5 very high")])
    ticket = pipe(mail("URGENT: printer"), trusted=False).ticket
    assert ticket.priority.name == "5 very high"


def test_all_rules_must_match_and_negation(support_address):
    _filter(
        "a",
        [("Subject", "printer", False), ("From", "example\\.com", True)],
        [("X-OTRS-Queue", "Misc")],
    )
    assert pipe(mail("printer")).ticket.queue == support_address.queue
    assert pipe(mail("printer", sender="x@other.test")).ticket.queue.full_name == "Misc"


def test_captures_and_email_address_rules(support_address):
    _filter(
        "a",
        [("From", r"EMAILADDRESS:^(?P<user>\w+)@example\.com$", False)],
        [("X-OTRS-Title", r"From [** \user **]")],
    )
    _filter("b", [("Subject", r"order (\d+)", False)], [("X-OTRS-CustomerNo", "ORD-[***]")])
    ticket = pipe(mail("order 4711")).ticket
    assert ticket.title == "From alice"
    assert ticket.customer_id == "ORD-4711"


def test_filters_run_in_name_order_and_stop(support_address):
    _filter("1 first", [("Subject", ".", False)], [("X-OTRS-Title", "one")], stop=True)
    _filter("2 second", [("Subject", ".", False)], [("X-OTRS-Title", "two")])
    assert pipe(mail()).ticket.title == "one"


def test_filter_can_ignore_spam(support_address):
    _filter("spam", [("X-Spam-Flag", "^yes$", False)], [("X-OTRS-Ignore", "yes")])
    assert pipe(mail(headers="X-Spam-Flag: YES\r\n")).status == InboundStatus.IGNORED


# --- follow-ups -------------------------------------------------------------------------------


@pytest.fixture
def first(support_address):
    return pipe(mail(message_id="<first@example.com>")).ticket


def test_follow_up_by_subject_number(first):
    stored = pipe(mail(f"Re: [Ticket#{first.number}] Printer broken", body="Still broken."))
    assert stored.outcome == Outcome.FOLLOW_UP
    assert stored.ticket == first
    assert first.articles.count() == 2
    # A follow-up on a *new* ticket leaves it new (spec gotcha 3).
    first.refresh_from_db()
    assert first.state.state_type == StateType.NEW


def test_follow_up_by_references(first):
    raw = mail("Re: printer", headers="In-Reply-To: <first@example.com>\r\n")
    assert pipe(raw).ticket == first


def test_follow_up_sets_a_not_new_ticket_open(first):
    set_state(
        first,
        factories.state("pending reminder"),
        actor=factories.system(),
        pending_until=first.created_at,
    )
    pipe(mail(f"Ticket#{first.number}", body="more"))
    first.refresh_from_db()
    assert first.state.name == "open"


def test_follow_up_to_a_merged_ticket_reaches_the_target(first, support):
    target = pipe(mail("Other", message_id="<other@example.com>")).ticket
    merge_tickets(first, target, actor=support.rw)
    assert pipe(mail(f"Re: [Ticket#{first.number}]")).ticket == target
    raw = mail("Re: x", body="by reference", headers="References: <first@example.com>\r\n")
    assert pipe(raw).ticket == target


def _close(ticket, option):
    ticket.queue.follow_up = option
    ticket.queue.save()
    set_state(ticket, factories.state("closed successful"), actor=factories.system())


def test_closed_ticket_possible_reopens(first):
    _close(first, FollowUpOption.POSSIBLE)
    stored = pipe(mail(f"Re: [Ticket#{first.number}]", body="again"))
    assert stored.outcome == Outcome.FOLLOW_UP
    first.refresh_from_db()
    assert first.state.name == "open"


def test_closed_ticket_reject_stores_but_keeps_state(first):
    _close(first, FollowUpOption.REJECT)
    stored = pipe(mail(f"Re: [Ticket#{first.number}]", body="again"))
    assert stored.outcome == Outcome.REJECTED
    assert stored.ticket == first
    first.refresh_from_db()
    assert first.state.state_type == StateType.CLOSED
    assert first.articles.count() == 2


def test_closed_ticket_new_ticket_links_them(first):
    _close(first, FollowUpOption.NEW_TICKET)
    stored = pipe(mail(f"Re: [Ticket#{first.number}] Printer broken", body="again"))
    assert stored.outcome == Outcome.NEW_TICKET_FOR_CLOSED
    new = stored.ticket
    assert new != first
    assert first.number not in new.title
    assert new.title == "Printer broken"
    link = TicketLink.objects.get()
    assert {link.source_id, link.target_id} == {first.pk, new.pk}
    assert link.link_type == LinkType.NORMAL


def test_follow_up_lock_back_to_owner(first, support):
    first.queue.follow_up_lock = True
    first.queue.save()
    lock_ticket(first, actor=support.rw)
    _close(first, FollowUpOption.POSSIBLE)
    pipe(mail(f"Re: [Ticket#{first.number}]", body="again"))
    first.refresh_from_db()
    assert (first.lock, first.owner) == ("lock", support.rw)


def test_follow_up_from_a_third_party_to_an_internal_mail_stays_internal(first):
    Article.objects.filter(ticket=first).update(is_visible_for_customer=False)
    raw = mail(
        "Re: x", sender="vendor@thirdparty.test", headers="In-Reply-To: <first@example.com>\r\n"
    )
    assert not pipe(raw).article.is_visible_for_customer


# --- bounces ----------------------------------------------------------------------------------


def test_bounce_marks_the_delivery_and_files_on_the_ticket(first):
    sent = Article.objects.filter(ticket=first).first()
    sent.message_id = "<answer-1@helpdesk.test>"
    sent.save()
    factories.queued_mail(
        ticket=first,
        article=sent,
        kind="article",
        envelope_from="support@helpdesk.test",
        recipients=["a@example.com"],
        raw=b"x",
        status=OutboundStatus.SENT,
    )
    dsn = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@helpdesk.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; a@example.com\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <answer-1@helpdesk.test>\r\nSubject: Re: printer\r\n"
        b"--b--\r\n"
    )
    stored = pipe(dsn)
    assert stored.outcome == Outcome.BOUNCE
    assert stored.ticket == first
    assert not stored.article.is_visible_for_customer
    delivery = OutboundMessage.objects.get()
    assert delivery.status == OutboundStatus.BOUNCED
    assert "550 5.1.1" in delivery.last_error
    assert Ticket.objects.count() == 1


# --- nothing is lost ---------------------------------------------------------------------


def test_processing_failure_quarantines_and_reprocess_recovers(support_address, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the pipeline")

    original = intake.handle
    monkeypatch.setattr(intake, "handle", broken)
    stored = pipe(mail())
    assert stored.status == InboundStatus.QUARANTINED
    assert "a bug in the pipeline" in stored.error
    assert not Ticket.objects.exists()  # the ticket work rolled back entirely
    assert bytes(InboundMessage.objects.get(pk=stored.pk).raw) == mail()

    monkeypatch.setattr(intake, "handle", original)
    again = reprocess(InboundMessage.objects.get(pk=stored.pk))
    assert again.status == InboundStatus.PROCESSED
    assert again.attempts == 2
    assert Ticket.objects.count() == 1


def test_oversized_mail_is_quarantined_not_dropped(support_address, settings):
    settings.POSTMASTER_MAX_EMAIL_BYTES = 1024
    raw = mail(body="x" * 4000)
    stored = pipe(raw)
    assert stored.status == InboundStatus.QUARANTINED
    # Stored as a code and its figures; put into words in the reader's language when shown.
    row = InboundMessage.objects.get(pk=stored.pk)
    assert (row.error_code, row.error_params) == ("too_large", {"size": len(raw), "limit": 1024})
    assert row.error_text == (
        f"The message is {len(raw)} bytes, more than the limit of 1024 bytes."
    )
    with translation.override("de"):
        assert row.error_text == (
            f"Die Nachricht ist {len(raw)} Bytes groß und überschreitet die Grenze von 1024 Bytes."
        )
    assert bytes(row.raw) == raw
    settings.POSTMASTER_MAX_EMAIL_BYTES = 10_000_000
    assert reprocess(stored).status == InboundStatus.PROCESSED


def test_same_message_twice_creates_nothing_new(support_address):
    first = pipe(mail())
    again = pipe(mail())
    assert again.pk == first.pk and again.is_duplicate
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_not_a_message_is_quarantined(db):
    stored = pipe(b"\x00\x01 \r\n")
    assert stored.status in (InboundStatus.QUARANTINED, InboundStatus.PROCESSED)


# --- the command ----------------------------------------------------------------------------


def _run(raw: bytes, *args) -> str:
    out = io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(raw))
    try:
        call_command("postmaster", *args, stdout=out)
    finally:
        sys.stdin = stdin
    return out.getvalue()


def test_command_reads_standard_input(support_address):
    output = _run(mail(), "--queue", "Misc")
    ticket = Ticket.objects.get()
    assert ticket.queue.full_name == "Misc"
    assert ticket.number in output


def test_command_unknown_queue_is_a_temporary_failure(support_address):
    with pytest.raises(SystemExit) as exit_:
        _run(mail(), "--queue", "No such queue")
    assert exit_.value.code == 75
    assert not InboundMessage.objects.exists()


def test_command_exits_75_when_the_database_cannot_store(support_address, monkeypatch):
    def away(*args, **kwargs):
        # Simulated: an outage cannot be produced inside the test's own transaction on all
        # three databases; the subprocess test below uses a real unreachable server.
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(intake, "store", away)
    with pytest.raises(SystemExit) as exit_:
        _run(mail())
    assert exit_.value.code == 75
    monkeypatch.undo()
    _run(mail())  # the MTA retries: now it is stored
    assert Ticket.objects.count() == 1


def test_command_with_no_database_server_exits_75(tmp_path):
    """A real process against a PostgreSQL port where nothing listens: exit 75, so the MTA
    keeps the message."""
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/otrs",
        "OTRS_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "postmaster"],
        input=mail(),
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 75, done.stderr
    assert b"try again later" in done.stderr


def test_command_reprocess(support_address, monkeypatch):
    original = intake.handle
    monkeypatch.setattr(intake, "handle", lambda *a, **k: 1 / 0)
    stored = pipe(mail())
    monkeypatch.setattr(intake, "handle", original)
    out = io.StringIO()
    call_command("postmaster", "--reprocess", str(stored.pk), stdout=out)
    assert "new_ticket" in out.getvalue()
    assert Ticket.objects.count() == 1


def test_a_quarantined_message_delivered_again_is_retried_not_duplicated(
    support_address, monkeypatch
):
    original = intake.handle
    monkeypatch.setattr(intake, "handle", lambda *a, **k: 1 / 0)
    first = pipe(mail())
    assert first.status == InboundStatus.QUARANTINED
    monkeypatch.setattr(intake, "handle", original)
    again = pipe(mail())  # e.g. fetched again after a crash before the server delete
    assert again.pk == first.pk
    assert again.status == InboundStatus.PROCESSED
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_reprocess_task(support_address, monkeypatch):
    original = intake.handle
    monkeypatch.setattr(intake, "handle", lambda *a, **k: 1 / 0)
    pipe(mail("one"))
    pipe(mail("two"))
    assert reprocess_quarantine() == {"processed": 0, "failing": 2}
    monkeypatch.setattr(intake, "handle", original)
    assert reprocess_quarantine() == {"processed": 2, "failing": 0}
    assert Ticket.objects.count() == 2


def test_the_same_mail_through_two_addresses_makes_one_ticket(support_address):
    first = pipe(
        mail(message_id="<twice@example.com>", headers="Delivered-To: a@helpdesk.test\r\n")
    )
    again = pipe(
        mail(message_id="<twice@example.com>", headers="Delivered-To: b@helpdesk.test\r\n")
    )
    # Other bytes, but only in a transport header: the same mail, stored once (README).
    assert again.pk == first.pk and again.is_duplicate
    assert again.article == first.article
    assert Ticket.objects.count() == 1
    assert Article.objects.count() == 1


def test_a_forged_message_id_from_someone_else_is_not_a_duplicate(support_address):
    pipe(mail(message_id="<same@example.com>"))
    other = pipe(mail("Other", sender="mallory@evil.test", message_id="<same@example.com>"))
    assert other.outcome == Outcome.NEW_TICKET
    assert Ticket.objects.count() == 2


def test_the_same_mail_delivered_again_for_another_address_adds_it_to_the_envelope(
    support_address,
):
    raw = mail("Two of our addresses", to="support@helpdesk.test, sales@helpdesk.test")
    first = receive(raw, source=InboundSource.LMTP, envelope_recipients=["support@helpdesk.test"])
    again = receive(
        raw,
        source=InboundSource.LMTP,
        envelope_recipients=["sales@helpdesk.test", "support@helpdesk.test"],
    )
    assert again.is_duplicate and again.pk == first.pk
    stored = InboundMessage.objects.get(pk=first.pk)
    assert stored.envelope_recipients == ["support@helpdesk.test", "sales@helpdesk.test"]
    # One ticket: a second delivery is the same message, not a new one.
    assert Ticket.objects.count() == 1
    # The same delivery once more changes nothing.
    receive(raw, source=InboundSource.LMTP, envelope_recipients=["sales@helpdesk.test"])
    assert InboundMessage.objects.get(pk=first.pk).envelope_recipients == [
        "support@helpdesk.test",
        "sales@helpdesk.test",
    ]
