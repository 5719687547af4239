"""Fetching mail from IMAP and POP3 accounts, against a real dovecot (tests/mail/dovecot.py):
each protocol with and without TLS, certificate checks, deletion only after the message is
stored, "keep marked as read", re-fetches, failing accounts, a database failure while storing,
the per-run limit, the lock, the daemon's interval logic, the command and the admin."""

from __future__ import annotations

import hashlib
import itertools
import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from otrs.accounts.models import User, UserKind
from otrs.mail import fetching
from otrs.mail.admin import MailAccountForm
from otrs.mail.fetching import fetch_account, fetch_accounts, imap_folder_name
from otrs.mail.models import AfterFetch, MailAccount, Protocol
from otrs.mail.tasks import fetch_mail_account, fetch_mail_accounts
from tests.mail.dovecot import dovecot, mailbox  # noqa: F401 - fixtures
from tickets.admin_mail import MailAccountDispatchForm
from tickets.models import (
    Dispatch,
    InboundMessage,
    InboundSource,
    InboundStatus,
    MailAccountDispatch,
    Outcome,
)
from tickets.postmaster import intake as inbound_module

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)

PORT_OF = {
    Protocol.IMAP: "imap",
    Protocol.IMAP_STARTTLS: "imap",
    Protocol.IMAPS: "imaps",
    Protocol.POP3: "pop3",
    Protocol.POP3_STARTTLS: "pop3",
    Protocol.POP3S: "pop3s",
}


def message(subject: str | None = None, *, body: str = "It does not print.") -> bytes:
    """A small, unique mail with CRLF line ends (as IMAP and POP3 hand it out)."""
    number = next(_numbers)
    subject = subject or f"Printer broken {number}"
    text = (
        f"From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <fetch-{number}-{id(body)}@example.com>\r\n"
        f"Date: Mon, 02 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    return text.encode()


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def make_account(box, protocol=Protocol.IMAP, **fields) -> MailAccount:
    fields.setdefault("name", f"{box.login} {protocol}")
    fields.setdefault("host", box.server.host)
    fields.setdefault("port", box.server.ports[PORT_OF[protocol]])
    fields.setdefault("verify_certificate", False)
    fields.setdefault("login", box.login)
    fields.setdefault("password", box.password)
    dispatching = {key: fields.pop(key) for key in ("dispatch", "queue") if key in fields}
    account = MailAccount.objects.create(protocol=protocol, **fields)
    if dispatching:
        MailAccountDispatch.objects.create(account=account, **dispatching)
    return account


def stored_hashes(account: MailAccount) -> list[str]:
    return list(
        InboundMessage.objects.filter(account=account)
        .order_by("pk")
        .values_list("sha256", flat=True)
    )


# --- each protocol ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "protocol",
    [
        Protocol.IMAP,
        Protocol.IMAP_STARTTLS,
        Protocol.IMAPS,
        Protocol.POP3,
        Protocol.POP3_STARTTLS,
        Protocol.POP3S,
    ],
)
def test_fetches_stores_and_deletes(mailbox, protocol):  # noqa: F811
    first, second = message(), message()
    mailbox.deliver(first)
    mailbox.deliver(second)
    account = make_account(mailbox, protocol)

    result = fetch_account(account)

    assert result.ok, result.error
    assert (result.fetched, result.stored, result.duplicates) == (2, 2, 0)
    # The very bytes the server held, in the order they arrived.
    assert stored_hashes(account) == [sha(first), sha(second)]
    rows = InboundMessage.objects.filter(account=account)
    assert {row.source for row in rows} == {InboundSource.ACCOUNT}
    assert all(row.status != InboundStatus.RECEIVED for row in rows)
    assert mailbox.messages() == []
    account.refresh_from_db()
    assert account.last_fetch_at is not None
    assert account.last_error_text == ""
    assert account.last_error_at is None


def test_pop3_keeps_long_lines_and_leading_dots(mailbox):  # noqa: F811
    """POP3 dot-stuffs lines that start with a dot; poplib refuses lines over 2 KB by itself."""
    raw = message(body=".a line starting with a dot\r\n..two dots\r\n" + "x" * 5000)
    mailbox.deliver(raw)
    account = make_account(mailbox, Protocol.POP3)

    result = fetch_account(account)

    assert result.ok, result.error
    assert stored_hashes(account) == [sha(raw)]


@pytest.mark.parametrize("kind", ["quoting", "utf8"])
@pytest.mark.parametrize("protocol", [Protocol.IMAP, Protocol.POP3])
def test_logins_and_passwords_with_awkward_characters(dovecot, kind, protocol):  # noqa: F811
    """A login with spaces and a password with quotes, spaces and a backslash, which IMAP must
    quote; a password beyond ASCII, which IMAP's LOGIN cannot carry (SASL PLAIN can)."""
    box = dovecot.mailbox(kind)
    box.deliver(message())
    account = make_account(box, protocol)

    result = fetch_account(account)

    assert result.ok, result.error
    assert result.stored == 1


def test_trust_and_dispatch_are_handed_to_the_store(mailbox, support):  # noqa: F811
    mailbox.deliver(message())
    account = make_account(mailbox, dispatch=Dispatch.QUEUE, queue=support.queue, trusted=True)

    assert fetch_account(account).stored == 1

    row = InboundMessage.objects.get(account=account)
    assert row.trusted is True
    assert row.forced_queue == support.queue


def test_a_recipient_dispatched_untrusted_account_forces_no_queue(mailbox, support):  # noqa: F811
    mailbox.deliver(message())
    # A queue left on an account that dispatches by recipient is not forced.
    account = make_account(mailbox, dispatch=Dispatch.RECIPIENT, queue=support.queue)

    assert fetch_account(account).stored == 1

    row = InboundMessage.objects.get(account=account)
    assert row.trusted is False
    assert row.forced_queue is None


def test_a_fetched_mail_becomes_a_ticket(mailbox, support):  # noqa: F811
    """End to end: server, fetch, raw store, postmaster pipeline, ticket."""
    mailbox.deliver(message("Scanner jammed"))
    account = make_account(mailbox, dispatch=Dispatch.QUEUE, queue=support.queue)

    assert fetch_account(account).stored == 1

    row = InboundMessage.objects.get(account=account)
    assert row.status == InboundStatus.PROCESSED, row.error
    assert row.outcome == Outcome.NEW_TICKET
    assert row.ticket.title == "Scanner jammed"
    assert row.ticket.queue == support.queue
    assert mailbox.messages() == []


@pytest.mark.parametrize("protocol", [Protocol.IMAP, Protocol.POP3])
def test_a_message_that_cannot_be_processed_is_quarantined_alone_and_the_next_are_fetched(
    mailbox,  # noqa: F811
    support,
    monkeypatch,
    protocol,
):
    """One mail with a NUL in its encoded subject (stored and processed), one that the
    pipeline cannot process (quarantined on its own), one plain: all three leave the server
    in one run; the quarantined one is processed once its cause is fixed."""
    nul = message("=?utf-8?q?a=00b?=")
    bad, good = message("Poison"), message("Fine")
    for raw in (nul, bad, good):
        mailbox.deliver(raw)
    account = make_account(mailbox, protocol, dispatch=Dispatch.QUEUE, queue=support.queue)
    original = inbound_module.handle

    def fails_on_poison(mail, **kwargs):
        if mail.subject == "Poison":
            raise RuntimeError("cannot process this one")
        return original(mail, **kwargs)

    monkeypatch.setattr(inbound_module, "handle", fails_on_poison)
    result = fetch_account(account)

    assert result.ok, result.error
    assert result.stored == 3
    assert mailbox.messages() == []
    rows = {row.sha256: row for row in InboundMessage.objects.filter(account=account)}
    assert rows[sha(nul)].status == InboundStatus.PROCESSED, rows[sha(nul)].error
    assert rows[sha(nul)].subject.replace("\ufffd", "") == "ab"
    assert rows[sha(bad)].status == InboundStatus.QUARANTINED
    assert rows[sha(bad)].error_code == "failed"
    assert "cannot process this one" in rows[sha(bad)].error_text
    assert rows[sha(good)].status == InboundStatus.PROCESSED

    monkeypatch.undo()  # the cause is fixed
    again = inbound_module.reprocess(rows[sha(bad)])
    assert again.status == InboundStatus.PROCESSED
    assert again.ticket.title == "Poison"


def test_a_folder_with_a_non_ascii_name(mailbox):  # noqa: F811
    # "Störungen" in IMAP's modified UTF-7, written out by hand (RFC 3501, 5.1.3).
    mailbox.create_folder('"St&APY-rungen"')
    raw = message()
    mailbox.deliver(raw, folder='"St&APY-rungen"')
    mailbox.deliver(message())  # in INBOX: not this account's folder
    account = make_account(mailbox, folder="Störungen")

    result = fetch_account(account)

    assert result.ok, result.error
    assert stored_hashes(account) == [sha(raw)]
    assert mailbox.messages('"St&APY-rungen"') == []
    assert len(mailbox.messages()) == 1


def test_imap_folder_names_are_quoted_and_encoded():
    assert imap_folder_name("INBOX") == '"INBOX"'
    assert imap_folder_name("Support Team") == '"Support Team"'
    assert imap_folder_name('A "b" & c\\d') == '"A \\"b\\" &- c\\\\d"'
    assert imap_folder_name("Störungen") == '"St&APY-rungen"'
    assert imap_folder_name("日本語") == '"&ZeVnLIqe-"'


def test_a_missing_folder_is_a_clear_error(mailbox):  # noqa: F811
    account = make_account(mailbox, folder="Nowhere")

    result = fetch_account(account)

    assert "The folder Nowhere cannot be opened" in result.error


# --- certificates -------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [Protocol.IMAPS, Protocol.POP3S, Protocol.IMAP_STARTTLS])
def test_verification_refuses_a_self_signed_certificate(mailbox, protocol):  # noqa: F811
    mailbox.deliver(message())
    account = make_account(mailbox, protocol, verify_certificate=True)

    result = fetch_account(account)

    assert not result.ok
    assert result.fetched == 0
    assert "is not trusted: self-signed certificate" in result.error
    assert "turn off certificate verification" in result.error
    account.refresh_from_db()
    assert account.last_error_text == result.error
    assert account.last_error_at is not None
    assert len(mailbox.messages()) == 1
    assert not InboundMessage.objects.exists()


def test_verification_accepts_a_trusted_certificate_and_checks_the_name(
    mailbox,  # noqa: F811
    monkeypatch,
):
    """With the test certificate in the trust store (OpenSSL's SSL_CERT_FILE), verification
    passes for the name in the certificate (127.0.0.1) and fails for another (localhost)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(mailbox.server.certificate))
    mailbox.deliver(message())
    other_name = make_account(mailbox, Protocol.IMAPS, host="localhost", verify_certificate=True)
    right_name = make_account(mailbox, Protocol.IMAPS, name="right", verify_certificate=True)

    refused = fetch_account(other_name)
    fetched = fetch_account(right_name)

    assert "is not trusted" in refused.error
    assert "mismatch" in refused.error.lower()
    assert fetched.ok, fetched.error
    assert fetched.stored == 1


# --- nothing is lost ----------------------------------------------------------------------------


def test_a_message_is_deleted_only_after_it_is_stored(mailbox, monkeypatch):  # noqa: F811
    """While the store runs, the message is still on the server, unflagged; right after, the
    raw row is there; at the end the server no longer has it."""
    raw = message()
    mailbox.deliver(raw)
    account = make_account(mailbox)
    seen_during_store = []
    real_receive = inbound_module.receive

    def spying_receive(data, **kwargs):
        seen_during_store.append([stored.flags for stored in mailbox.messages()])
        stored = real_receive(data, **kwargs)
        assert InboundMessage.objects.filter(pk=stored.pk, sha256=sha(raw)).exists()
        return stored

    monkeypatch.setattr(inbound_module, "receive", spying_receive)

    assert fetch_account(account).stored == 1

    assert seen_during_store == [[()]]  # there, neither \Seen nor \Deleted
    assert mailbox.messages() == []


@pytest.mark.parametrize("protocol", [Protocol.IMAP, Protocol.POP3])
def test_database_failure_while_storing_leaves_the_mail_on_the_server(
    mailbox,  # noqa: F811
    monkeypatch,
    protocol,
):
    """The database goes away while the first message is stored: the run stops, both messages
    stay on the server untouched, the account shows the error, and the next run stores them.

    The failure is injected by patching ``tickets.postmaster.intake.store`` to raise
    ``OperationalError`` once: this simulates the database going away, because a real outage
    cannot be produced per test on all three databases."""
    first, second = message(), message()
    mailbox.deliver(first)
    mailbox.deliver(second)
    account = make_account(mailbox, protocol)
    real_store = inbound_module.store
    calls = itertools.count(1)

    def failing_store(*args, **kwargs):
        if next(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(inbound_module, "store", failing_store)

    failed = fetch_account(account)

    assert (failed.fetched, failed.stored) == (1, 0)
    assert "could not be stored" in failed.error
    assert "server closed the connection unexpectedly" in failed.error
    assert not InboundMessage.objects.exists()
    on_server = mailbox.messages()
    assert [stored.raw for stored in on_server] == [first, second]
    if protocol == Protocol.IMAP:
        # Not even marked: BODY.PEEK (dovecot's POP3 marks whatever RETR sent as read).
        assert all(stored.flags == () for stored in on_server)
    account.refresh_from_db()
    assert "could not be stored" in account.last_error_text

    again = fetch_account(account)

    assert again.ok, again.error
    assert again.stored == 2
    assert stored_hashes(account) == [sha(first), sha(second)]
    assert mailbox.messages() == []
    account.refresh_from_db()
    assert account.last_error_text == ""


@pytest.mark.parametrize("protocol", [Protocol.IMAP, Protocol.POP3])
def test_database_failure_midway_deletes_only_what_was_stored(
    mailbox,  # noqa: F811
    monkeypatch,
    protocol,
):
    """Same simulated outage (see above), on the second of three messages: the first is stored
    and deleted on the server, the second and third wait for the next run."""
    raws = [message(), message(), message()]
    for raw in raws:
        mailbox.deliver(raw)
    account = make_account(mailbox, protocol)
    real_store = inbound_module.store
    calls = itertools.count(1)

    def failing_store(*args, **kwargs):
        if next(calls) == 2:
            raise OperationalError("database is away")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(inbound_module, "store", failing_store)

    failed = fetch_account(account)

    assert (failed.fetched, failed.stored) == (2, 1)
    assert "could not be stored" in failed.error
    assert stored_hashes(account) == [sha(raws[0])]
    assert [stored.raw for stored in mailbox.messages()] == raws[1:]

    assert fetch_account(account).stored == 2
    assert stored_hashes(account) == [sha(raw) for raw in raws]
    assert mailbox.messages() == []


def test_refetching_a_stored_message_makes_nothing_new(mailbox):  # noqa: F811
    """A crash between the commit and the deletion leaves a stored message on the server; the
    next run recognises the same bytes, makes nothing, and deletes it."""
    raw = message()
    earlier = inbound_module.store(raw, source=InboundSource.ACCOUNT)
    InboundMessage.objects.filter(pk=earlier.pk).update(status=InboundStatus.PROCESSED)
    mailbox.deliver(raw)
    account = make_account(mailbox)

    result = fetch_account(account)

    assert result.ok, result.error
    assert (result.fetched, result.stored, result.duplicates) == (1, 0, 1)
    assert list(InboundMessage.objects.values_list("pk", flat=True)) == [earlier.pk]
    assert mailbox.messages() == []


def test_refetching_after_processing_makes_no_second_ticket(mailbox, support):  # noqa: F811
    raw = message("Toner empty")
    account = make_account(mailbox, dispatch=Dispatch.QUEUE, queue=support.queue)
    mailbox.deliver(raw)
    assert fetch_account(account).stored == 1
    mailbox.deliver(raw)  # the same bytes again (the deletion was lost)

    result = fetch_account(account)

    assert (result.stored, result.duplicates) == (0, 1)
    assert InboundMessage.objects.count() == 1
    assert InboundMessage.objects.get().ticket.title == "Toner empty"
    assert mailbox.messages() == []


def test_an_oversized_message_is_fetched_into_quarantine(mailbox, settings):  # noqa: F811
    settings.POSTMASTER_MAX_EMAIL_BYTES = 1024
    raw = message(body="y" * 3000)
    mailbox.deliver(raw)
    account = make_account(mailbox)

    result = fetch_account(account)

    assert result.ok, result.error
    row = InboundMessage.objects.get(account=account)
    assert row.status == InboundStatus.QUARANTINED
    assert row.error_code == "too_large" and "limit" in row.error_text
    assert bytes(row.raw) == raw
    assert mailbox.messages() == []


def test_a_message_flagged_deleted_by_another_client_is_fetched(mailbox):  # noqa: F811
    """Flagged \\Deleted but not expunged (a mail client, or a run that broke off): it is
    still mail to the account, so it is stored, not lost."""
    flagged, plain = message(), message()
    mailbox.deliver(flagged, flags="\\Deleted")
    mailbox.deliver(plain)
    account = make_account(mailbox)

    assert fetch_account(account).stored == 2

    assert stored_hashes(account) == [sha(flagged), sha(plain)]
    assert mailbox.messages() == []


def test_without_uidplus_flagged_messages_go_first_and_are_expunged_once_stored(
    mailbox,  # noqa: F811
    monkeypatch,
):
    """A server without UID EXPUNGE can only expunge every flagged message at once: the run
    takes the flagged ones first, and expunges only when each flagged message is stored."""
    # As if dovecot had not announced UIDPLUS after the login.
    monkeypatch.setattr(
        fetching._ImapSession,
        "uidplus",
        property(lambda s: False, lambda s, v: None),
        raising=False,
    )
    monkeypatch.setattr(fetching, "MAX_MESSAGES_PER_RUN", 2)
    first, second, flagged = message(), message(), message()
    mailbox.deliver(first)
    mailbox.deliver(second)
    mailbox.deliver(flagged, flags="\\Deleted")
    account = make_account(mailbox)

    run = fetch_account(account)

    assert (run.stored, run.more) == (2, True)
    assert stored_hashes(account) == [sha(flagged), sha(first)]
    assert [stored.raw for stored in mailbox.messages()] == [second]
    assert fetch_account(account).stored == 1
    assert mailbox.messages() == []


# --- keep, marked as read -----------------------------------------------------------------------


def test_seen_mode_keeps_the_mail_and_fetches_it_once(mailbox):  # noqa: F811
    already_read, new = message(), message()
    mailbox.deliver(already_read, flags="\\Seen")
    mailbox.deliver(new)
    account = make_account(mailbox, after_fetch=AfterFetch.MARK_SEEN)

    first = fetch_account(account)
    second = fetch_account(account)

    assert (first.fetched, first.stored) == (1, 1)
    assert stored_hashes(account) == [sha(new)]
    assert second.ok and second.fetched == 0
    on_server = mailbox.messages()
    assert [stored.raw for stored in on_server] == [already_read, new]
    assert all("\\Seen" in stored.flags and "\\Deleted" not in stored.flags for stored in on_server)


def test_seen_mode_is_refused_for_pop3(mailbox):  # noqa: F811
    mailbox.deliver(message())
    account = make_account(mailbox, Protocol.POP3, after_fetch=AfterFetch.MARK_SEEN)

    result = fetch_account(account)

    assert "POP3 cannot mark messages as read" in result.error
    assert len(mailbox.messages()) == 1


# --- failing accounts ---------------------------------------------------------------------------


def test_a_failing_account_does_not_stop_the_next(dovecot, caplog):  # noqa: F811
    wrong_box, refused_box, good_box = dovecot.mailbox(), dovecot.mailbox(), dovecot.mailbox()
    good_box.deliver(message())
    wrong = make_account(wrong_box, name="a wrong password", password="Wr0ng-Passw0rd")
    refused = make_account(refused_box, name="b closed port", port=1)
    good = make_account(good_box, name="c good")

    with caplog.at_level(logging.DEBUG):
        results = fetch_accounts([wrong, refused, good])

    assert [result.account for result in results] == ["a wrong password", "b closed port", "c good"]
    assert "refused the login" in results[0].error
    assert wrong_box.login in results[0].error
    assert "AUTHENTICATIONFAILED" in results[0].error
    assert "refused the connection" in results[1].error
    assert results[2].ok and results[2].stored == 1
    wrong.refresh_from_db()
    refused.refresh_from_db()
    assert wrong.last_error_text == results[0].error
    assert refused.last_error_text == results[1].error
    # The password is in no error text and no log line.
    assert "Wr0ng-Passw0rd" not in caplog.text
    assert "Wr0ng-Passw0rd" not in wrong.last_error_text


def test_a_failing_run_records_its_time_and_a_good_one_clears_the_error(mailbox):  # noqa: F811
    account = make_account(mailbox, password="not-the-password")
    fetch_account(account)
    account.refresh_from_db()
    assert account.last_error_text and account.last_error_at and account.last_fetch_at

    account.password = mailbox.password
    account.save()
    assert fetch_account(account).ok

    account.refresh_from_db()
    assert (account.last_error_text, account.last_error_at) == ("", None)


def test_an_unknown_host_is_a_clear_error(db):
    account = MailAccount.objects.create(
        name="nowhere",
        protocol=Protocol.IMAP,
        host="no-such-host.invalid",
        login="x",
        password="y",
    )

    result = fetch_account(account)

    assert "no-such-host.invalid cannot be resolved" in result.error


def test_starttls_is_required_when_chosen(mailbox, monkeypatch):  # noqa: F811
    """A server that does not offer STARTTLS never gets the password in clear text."""
    account = make_account(mailbox, Protocol.IMAP_STARTTLS)
    sent = []
    real_login = fetching.imaplib.IMAP4.login

    def recording_login(conn, user, password):
        sent.append(user)
        return real_login(conn, user, password)

    real_init = fetching.imaplib.IMAP4.__init__

    def init_without_starttls(conn, *args, **kwargs):
        real_init(conn, *args, **kwargs)
        conn.capabilities = tuple(cap for cap in conn.capabilities if cap != "STARTTLS")

    monkeypatch.setattr(fetching.imaplib.IMAP4, "__init__", init_without_starttls)
    monkeypatch.setattr(fetching.imaplib.IMAP4, "login", recording_login)

    result = fetch_account(account)

    assert "does not offer STARTTLS" in result.error
    assert sent == []


# --- limits and the lock ------------------------------------------------------------------------


def test_at_most_a_limited_number_of_messages_per_run(mailbox, monkeypatch):  # noqa: F811
    monkeypatch.setattr(fetching, "MAX_MESSAGES_PER_RUN", 2)
    raws = [message(), message(), message()]
    for raw in raws:
        mailbox.deliver(raw)
    account = make_account(mailbox)

    first = fetch_account(account)

    assert first.ok and first.stored == 2 and first.more
    assert [stored.raw for stored in mailbox.messages()] == raws[2:]
    assert "more messages wait for the next run" in first.summary()
    second = fetch_account(account)
    assert second.stored == 1 and not second.more
    assert mailbox.messages() == []


def test_an_account_being_fetched_elsewhere_is_skipped(mailbox):  # noqa: F811
    mailbox.deliver(message())
    account = make_account(mailbox)
    assert cache.add(f"otrs.mail.fetch-lock.{account.pk}", "another worker", 60)

    result = fetch_account(account)

    assert result.skipped and result.ok and result.fetched == 0
    assert "already running" in result.summary()
    assert len(mailbox.messages()) == 1
    account.refresh_from_db()
    assert account.last_fetch_at is None
    # The other worker's lock is left alone; once it is gone, the account is fetched.
    assert cache.get(f"otrs.mail.fetch-lock.{account.pk}") == "another worker"
    cache.delete(f"otrs.mail.fetch-lock.{account.pk}")
    assert fetch_account(account).stored == 1
    assert cache.get(f"otrs.mail.fetch-lock.{account.pk}") is None


# --- the daemon's task: intervals ---------------------------------------------------------------


def test_is_due_after_the_interval_with_a_little_slack(db):
    now = timezone.now()
    account = MailAccount(interval_minutes=10)
    assert fetching.is_due(account, now)  # never fetched
    account.last_fetch_at = now - timedelta(minutes=9)
    assert not fetching.is_due(account, now)
    # The beat ticks each minute; a run a few seconds "early" is not put off a whole minute.
    account.last_fetch_at = now - timedelta(minutes=9, seconds=50)
    assert fetching.is_due(account, now)
    account.last_fetch_at = now - timedelta(minutes=10)
    assert fetching.is_due(account, now)


def test_the_task_fetches_the_valid_accounts_whose_interval_passed(dovecot):  # noqa: F811
    now = timezone.now()
    boxes = {name: dovecot.mailbox() for name in ("never", "overdue", "recent", "invalid")}
    for box in boxes.values():
        box.deliver(message())
    make_account(boxes["never"], name="never")
    make_account(boxes["overdue"], name="overdue", last_fetch_at=now - timedelta(minutes=11))
    make_account(boxes["recent"], name="recent", last_fetch_at=now - timedelta(minutes=3))
    make_account(boxes["invalid"], name="invalid", is_valid=False)

    results = fetch_mail_accounts()

    assert sorted(result["account"] for result in results) == ["never", "overdue"]
    assert all(result["stored"] == 1 and not result["error"] for result in results)
    assert boxes["never"].messages() == [] and boxes["overdue"].messages() == []
    assert len(boxes["recent"].messages()) == 1
    assert len(boxes["invalid"].messages()) == 1
    # Fetched just now: not due again on the next tick.
    assert fetch_mail_accounts() == []


def test_the_single_account_task_skips_invalid_and_missing_accounts(mailbox):  # noqa: F811
    mailbox.deliver(message())
    account = make_account(mailbox, is_valid=False)

    assert fetch_mail_account(account.pk) is None
    assert fetch_mail_account(account.pk + 1000) is None
    assert len(mailbox.messages()) == 1

    MailAccount.objects.filter(pk=account.pk).update(is_valid=True)
    assert fetch_mail_account(account.pk)["stored"] == 1


# --- the command --------------------------------------------------------------------------------


def test_fetchmail_fetches_every_valid_account(dovecot, capsys):  # noqa: F811
    first, second, off = dovecot.mailbox(), dovecot.mailbox(), dovecot.mailbox()
    for box in (first, second, off):
        box.deliver(message())
    make_account(first, name="first", last_fetch_at=timezone.now())  # interval not passed
    make_account(second, name="second")
    make_account(off, name="off", is_valid=False)

    call_command("fetchmail")

    out = capsys.readouterr().out
    assert "first: 1 fetched, 1 stored, 0 already stored." in out
    assert "second: 1 fetched, 1 stored, 0 already stored." in out
    assert "off" not in out
    assert len(off.messages()) == 1


def test_fetchmail_named_account_and_failure_exit_status(dovecot, capsys):  # noqa: F811
    good, bad = dovecot.mailbox(), dovecot.mailbox()
    good.deliver(message())
    make_account(good, name="good")
    make_account(bad, name="bad", password="nope-nope")

    call_command("fetchmail", "--account", "good")
    assert "good: 1 fetched, 1 stored" in capsys.readouterr().out

    with pytest.raises(CommandError) as failed:
        call_command("fetchmail", "--account", "good", "--account", "bad")
    assert failed.value.returncode == 1
    assert "1 mail account failed" in str(failed.value)
    captured = capsys.readouterr()
    assert "good: 0 fetched" in captured.out
    assert "bad: 0 fetched, 0 stored, 0 already stored; failed:" in captured.err
    assert "refused the login" in captured.err

    with pytest.raises(CommandError, match="No mail account named 'missing'"):
        call_command("fetchmail", "--account", "missing")


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client_(client, db):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def form_data(box, **overrides) -> dict:
    data = {
        "name": "Support inbox",
        "is_valid": "on",
        "comment": "",
        "protocol": Protocol.IMAP,
        "host": box.server.host,
        "port": box.server.ports["imap"],
        "login": box.login,
        "password": box.password,
        "folder": "INBOX",
        "after_fetch": AfterFetch.DELETE,
        "interval_minutes": 10,
        # The ticket channel's inline (tickets.admin_mail): where the account's mail goes.
        "dispatching-TOTAL_FORMS": 1,
        "dispatching-INITIAL_FORMS": 0,
        "dispatching-MIN_NUM_FORMS": 1,
        "dispatching-MAX_NUM_FORMS": 1,
        "dispatching-0-dispatch": Dispatch.RECIPIENT,
        "dispatching-0-queue": "",
    }
    data.update(overrides)
    return data


def test_form_needs_a_queue_for_queue_dispatch_and_imap_for_seen(mailbox, support):  # noqa: F811
    form = MailAccountForm(data=form_data(mailbox, protocol=Protocol.POP3, after_fetch="seen"))
    assert not form.is_valid()
    assert "after_fetch" in form.errors
    dispatching = MailAccountDispatchForm(data={"dispatch": Dispatch.QUEUE, "queue": ""})
    assert not dispatching.is_valid()
    assert "queue" in dispatching.errors

    form = MailAccountForm(data=form_data(mailbox, protocol=Protocol.IMAPS, after_fetch="seen"))
    assert form.is_valid(), form.errors
    dispatching = MailAccountDispatchForm(
        data={"dispatch": Dispatch.QUEUE, "queue": support.queue.pk}
    )
    assert dispatching.is_valid(), dispatching.errors


def test_admin_keeps_where_an_account_dispatches(admin_client_, mailbox, support):  # noqa: F811
    data = form_data(
        mailbox,
        **{"dispatching-0-dispatch": Dispatch.QUEUE, "dispatching-0-queue": support.queue.pk},
    )
    add = admin_client_.post(reverse("admin:mail_mailaccount_add"), data)
    assert add.status_code == 302, add.content
    account = MailAccount.objects.get(name="Support inbox")
    assert account.dispatching.forced_queue == support.queue

    refused = admin_client_.post(
        reverse("admin:mail_mailaccount_add"),
        form_data(mailbox, name="other", **{"dispatching-0-dispatch": Dispatch.QUEUE}),
    )
    assert refused.status_code == 200
    assert "Choose the queue" in refused.content.decode()
    assert not MailAccount.objects.filter(name="other").exists()


def test_admin_adds_an_account_and_keeps_the_password_when_left_empty(
    admin_client_,
    mailbox,  # noqa: F811
):
    add = admin_client_.post(reverse("admin:mail_mailaccount_add"), form_data(mailbox))
    assert add.status_code == 302, add.content
    account = MailAccount.objects.get(name="Support inbox")
    assert account.password == mailbox.password

    url = reverse("admin:mail_mailaccount_change", args=[account.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert mailbox.password not in page.content.decode()

    changed = admin_client_.post(url, form_data(mailbox, password="", host="localhost"))
    assert changed.status_code == 302, changed.content
    account.refresh_from_db()
    assert (account.host, account.password) == ("localhost", mailbox.password)

    empty_on_add = admin_client_.post(
        reverse("admin:mail_mailaccount_add"), form_data(mailbox, name="other", password="")
    )
    assert empty_on_add.status_code == 200
    assert not MailAccount.objects.filter(name="other").exists()


def test_admin_fetch_now_and_test_connection(admin_client_, dovecot):  # noqa: F811
    good, bad = dovecot.mailbox(), dovecot.mailbox()
    good.deliver(message())
    good.deliver(message())
    good_account = make_account(good, name="good one")
    bad_account = make_account(bad, name="bad one", password="not-it-at-all")
    changelist = reverse("admin:mail_mailaccount_changelist")
    selected = [good_account.pk, bad_account.pk]

    tested = admin_client_.post(
        changelist, {"action": "test_connection", "_selected_action": selected}, follow=True
    )
    text = "\n".join(str(note) for note in tested.context["messages"])
    assert "good one: logged in; 2 messages in the mailbox, 2 to fetch." in text
    assert "bad one:" in text and "refused the login" in text
    assert len(good.messages()) == 2  # nothing fetched

    fetched = admin_client_.post(
        changelist, {"action": "fetch_now", "_selected_action": selected}, follow=True
    )
    text = "\n".join(str(note) for note in fetched.context["messages"])
    assert "good one: 2 fetched, 2 stored, 0 already stored." in text
    assert "bad one: 0 fetched" in text
    assert good.messages() == []

    listing = admin_client_.get(changelist).content.decode()
    assert "refused the login" in listing  # the last error column
