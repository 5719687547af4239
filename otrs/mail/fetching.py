"""Fetching mail from IMAP and POP3 accounts (OTRS MailAccountFetch) into the raw inbound store.

One run of one account:

1. connect (plain, STARTTLS/STLS, or TLS from the first byte; the certificate is checked
   against the system's trust store unless the account turns that off), log in;
2. list the messages: IMAP every message of the folder (only the unseen ones when the account
   keeps fetched mail marked as read), POP3 the whole maildrop; at most
   :data:`MAX_MESSAGES_PER_RUN`, oldest first, so one huge mailbox cannot block the daemon;
3. for each message: download it without changing it on the server (IMAP ``BODY.PEEK[]``),
   hand it to the registered inbound receiver (:func:`otrs.mail.hooks.receive`; the ticket
   channel stores it), and only once that returned (the raw bytes are committed) delete it on
   the server, or mark it read;
4. commit the deletions (IMAP ``EXPUNGE`` of our messages, POP3 ``QUIT``).

If the receiver raises (the database could not store the message), the
run of that account stops there: the message and every later one stay on the server for the
next run (ARCHITECTURE.md rule 7). A message that is already stored (the same bytes fetched
again, after a crash between the commit and the deletion) makes nothing new, and is deleted.
Messages larger than ``POSTMASTER_MAX_EMAIL_BYTES`` are fetched as well: the inbound store
keeps them in quarantine for an administrator instead of losing them on the server.

A failing account (connection refused, TLS error, login refused, an OAuth2 token that cannot be
refreshed) is logged and recorded on the account (``last_error``, ``last_error_at``, the
failures in a row) and does not stop or delay the others: each account has its own connect and
read timeouts (``MAIL_FETCH_CONNECT_TIMEOUT``, ``MAIL_FETCH_READ_TIMEOUT``; the token endpoint
``MAIL_OAUTH_TIMEOUTS``), and a run fetches up to ``MAIL_FETCH_PARALLEL`` accounts at once, each
in a thread of its own, so a server or token endpoint that hangs holds up only its own account.
The password and the tokens never appear in a log line or an error text.

Accounts with OAuth2 log in with SASL ``XOAUTH2`` (IMAP ``AUTHENTICATE``, POP3 ``AUTH``), with
an access token refreshed first when it is about to expire (:mod:`otrs.mail.oauth`).

Two fetches of the same account never run at once: see :func:`_account_lock`.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import poplib
import socket
import ssl
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, connections
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import hooks, oauth
from .models import AfterFetch, MailAccount, Protocol, fetch_error_text

logger = logging.getLogger(__name__)

# At most this many messages per account and run; the rest wait for the next run.
MAX_MESSAGES_PER_RUN = 500
# A run stops taking new messages after this long (the rest wait for the next run), so that it
# always ends well before its lock expires.
RUN_BUDGET_SECONDS = 10 * 60
# The beat schedule ticks every minute; a run that started a few seconds "too early" for the
# account's interval should not be put off by a whole minute.
DUE_SLACK = timedelta(seconds=30)
# poplib refuses lines longer than 2048 bytes, but real mail (HTML in one line, unwrapped
# base64) has longer ones. A line cannot be longer than its message, and each message is read
# whole into memory anyway; this only guards against a server that never ends a line.
POP3_MAX_LINE = 256 * 1024 * 1024

IMAP_PROTOCOLS = (Protocol.IMAP, Protocol.IMAP_STARTTLS, Protocol.IMAPS)
POP3_PROTOCOLS = (Protocol.POP3, Protocol.POP3_STARTTLS, Protocol.POP3S)


class FetchError(Exception):
    """A failure of one account: a code of :data:`FETCH_ERROR_TEXTS` and its figures (never
    the password), stored so; ``str()`` is the sentence in the active language."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return fetch_error_text(self.code, self.params)


@dataclass
class FetchResult:
    """What one run of one account did."""

    account_id: int
    account: str
    fetched: int = 0  # messages downloaded
    stored: int = 0  # new messages in the inbound store
    duplicates: int = 0  # downloaded again, already stored before: nothing new made
    error: str = ""  # why the run failed or stopped early; empty when it went well
    # The same as a code and its figures (stored on the account, shown in the reader's
    # language); set with fail().
    error_code: str = ""
    error_params: dict = field(default_factory=dict)
    skipped: bool = False  # another fetch of this account was running
    more: bool = False  # messages are left for the next run (the per-run limits)

    @property
    def ok(self) -> bool:
        return not self.error

    def fail(self, code: str, **params) -> None:
        self.error_code, self.error_params = code, params
        self.error = fetch_error_text(code, params)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One translated line for the command, the admin and the log."""
        if self.skipped:
            return _("%(account)s: skipped, a fetch of this account is already running.") % {
                "account": self.account
            }
        counts = _(
            "%(account)s: %(fetched)d fetched, %(stored)d stored, %(duplicates)d already stored"
        ) % {
            "account": self.account,
            "fetched": self.fetched,
            "stored": self.stored,
            "duplicates": self.duplicates,
        }
        if self.error:
            return _("%(counts)s; failed: %(error)s") % {"counts": counts, "error": self.error}
        if self.more:
            return _("%(counts)s; more messages wait for the next run.") % {"counts": counts}
        return counts + "."


@dataclass(frozen=True)
class ConnectionCheck:
    """What "test connection" found: the messages there, and how many a fetch would take."""

    total: int
    to_fetch: int


# --- running accounts ---------------------------------------------------------------------------


def is_due(account: MailAccount, now: datetime | None = None) -> bool:
    """Whether the account's own interval has passed since its last fetch."""
    if account.last_fetch_at is None:
        return True
    now = now or timezone.now()
    return account.last_fetch_at + timedelta(minutes=account.interval_minutes) <= now + DUE_SLACK


def due_accounts(now: datetime | None = None) -> list[MailAccount]:
    """The valid accounts whose interval has passed, longest waiting first."""
    now = now or timezone.now()
    accounts = MailAccount.objects.filter(is_valid=True)
    due = [account for account in accounts if is_due(account, now)]
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(due, key=lambda a: (a.last_fetch_at or oldest, a.name))


def fetch_due_accounts(now: datetime | None = None) -> list[FetchResult]:
    """Fetch each valid account whose interval has passed (the beat schedule's task)."""
    return fetch_accounts(due_accounts(now))


def fetch_accounts(accounts: Iterable[MailAccount]) -> list[FetchResult]:
    """Fetch the accounts, up to ``MAIL_FETCH_PARALLEL`` at once; a failing or hanging one
    neither stops nor delays the others. The results are in the order of ``accounts``.

    Each thread has its own database connection, which cannot see rows the caller has not
    committed: called inside a transaction (a test's), the accounts run one after the other.
    """
    accounts = list(accounts)
    workers = min(settings.MAIL_FETCH_PARALLEL, len(accounts))
    if workers <= 1 or connection.in_atomic_block:
        return [fetch_account(account) for account in accounts]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mail-fetch") as pool:
        return list(pool.map(_fetch_in_thread, accounts))


def _fetch_in_thread(account: MailAccount) -> FetchResult:
    try:
        return fetch_account(account)
    except Exception as exc:  # fetch_account records its failures; this is the last guard
        logger.exception("Mail account %s: the fetch failed unexpectedly", account.name)
        result = FetchResult(account_id=account.pk, account=account.name)
        result.fail("unexpected", reason=_reason(exc))
        return result
    finally:
        # This thread's own connection: closed, or it would stay open until the process ends.
        connections.close_all()


def fetch_account(account: MailAccount) -> FetchResult:
    """Fetch one account now, whatever its interval or validity; never raises for a failure
    of the account (it is in the result and on the account).

    Call it outside a transaction (as the daemon, the command and the admin do): the inbound
    store must commit each message before it is deleted on the server.
    """
    result = FetchResult(account_id=account.pk, account=account.name)
    try:
        token = _take_lock(account.pk)
    except Exception as exc:  # the cache is away: fetch nothing, say why
        logger.exception("Mail account %s: the fetch lock could not be taken", account.name)
        result.fail("lock", reason=_reason(exc))
        _record(account, timezone.now(), result)
        return result
    if token is None:
        result.skipped = True
        logger.info("Mail account %s: a fetch is already running, skipped", account.name)
        return result
    try:
        started = timezone.now()
        _run(account, result)
        _record(account, started, result)
    finally:
        _release_lock(account.pk, token)
    if result.error:
        logger.warning("Mail account %s failed: %s", account.name, result.error)
    else:
        logger.info("Mail account fetched: %s", result.summary())
    return result


def check_connection(account: MailAccount) -> ConnectionCheck:
    """Connect and log in, count the messages, change nothing. Raises :class:`FetchError`."""
    session = None
    try:
        session = _session(account)
        session.open()
        return session.check()
    except Exception as exc:  # every failure becomes one readable message
        code, params = _describe(exc, account)
        raise FetchError(code, **params) from exc
    finally:
        if session is not None:
            session.close()


def _run(account: MailAccount, result: FetchResult) -> None:
    """One fetch of ``account``; fills ``result`` (and its error) instead of raising."""
    session = None
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    try:
        session = _session(account)
        session.open()
        keys = session.list()
        if len(keys) > MAX_MESSAGES_PER_RUN:
            result.more = True
            keys = keys[:MAX_MESSAGES_PER_RUN]
        for key in keys:
            if time.monotonic() > deadline:
                result.more = True
                break
            raw = session.retrieve(key)  # type: ignore[arg-type]  # key from its own list()
            if raw is None:  # gone meanwhile (another client deleted it)
                continue
            result.fetched += 1
            if len(raw) > settings.POSTMASTER_MAX_EMAIL_BYTES:
                logger.info(
                    "Mail account %s: a message of %d bytes is over the limit; it is stored "
                    "in quarantine",
                    account.name,
                    len(raw),
                )
            try:
                receipt = hooks.receive(raw, account_id=account.pk, trusted=account.trusted)
            except DatabaseError as exc:
                logger.exception("Mail account %s: a message could not be stored", account.name)
                result.fail("store_database", reason=_reason(exc))
                break
            except Exception as exc:  # not stored for sure: keep it
                logger.exception("Mail account %s: storing a message failed", account.name)
                result.fail("store", reason=_reason(exc))
                break
            if receipt.duplicate:
                result.duplicates += 1
            else:
                result.stored += 1
            # Stored for good: only now may the server forget it.
            session.dispose(key)  # type: ignore[arg-type]  # key from its own list()
        session.finish()
    except Exception as exc:  # every failure becomes the account's error
        if not isinstance(exc, FetchError | OSError | imaplib.IMAP4.error | poplib.error_proto):
            logger.exception("Mail account %s: unexpected error", account.name)
        code, params = _describe(exc, account)
        result.fail(code, **params)
        if session is not None and not isinstance(exc, OSError):
            # The connection still works: commit the deletions of the messages stored so far
            # (without it they would be fetched again next time, and recognised).
            session.finish(quiet=True)
    finally:
        if session is not None:
            session.close()


def _record(account: MailAccount, started: datetime, result: FetchResult) -> None:
    """Write the run's time, outcome and counts on the account, leaving its other fields
    alone (an administrator may be editing them)."""
    error = result.error
    fields: dict = {
        "last_fetch_at": started,
        "last_error_code": result.error_code,
        "last_error_params": result.error_params,
        # A failure without a code (none is made so today) keeps its sentence.
        "last_error": "" if result.error_code else error,
    }
    fields["last_error_at"] = timezone.now() if error else None
    fields["fetched_last_run"] = result.fetched
    for name, value in fields.items():
        setattr(account, name, value)
    counters: dict = {"fetched_total": F("fetched_total") + result.fetched}
    counters["consecutive_failures"] = F("consecutive_failures") + 1 if error else 0
    try:
        MailAccount.objects.filter(pk=account.pk).update(**fields, **counters)
    except DatabaseError:
        # The database is away (the likely reason for the failure itself): the log has it.
        logger.exception("Mail account %s: the fetch result could not be recorded", account.name)


def _lock_key(account_id: int) -> str:
    return f"otrs.mail.fetch-lock.{account_id}"


def _take_lock(account_id: int) -> str | None:
    """A token when this process may fetch the account now, None while another fetch runs.

    The lock is a cache entry made with ``add``, which only creates a missing key (atomically
    on Redis, memcached, the database cache and the in-memory one), expiring after longer than
    any run, so a crashed worker blocks its account for :func:`_lock_seconds` at most.

    Why not a row lock (``select_for_update(nowait=True)``) on the account: it holds only as
    long as one transaction, so the whole run would have to be one, and then the inbound store
    could not commit each message before it is deleted on the server (rule 7); SQLite has no
    row locks either. With several daemon hosts ``CACHE_URL`` must name a shared cache
    (Redis), as it must for the login throttling; the embedded default's file cache is one
    host's, and its ``add`` is not atomic between processes: a rare double fetch there is
    caught by the inbound store, which recognises the same bytes once processed.
    """
    token = uuid.uuid4().hex
    return token if cache.add(_lock_key(account_id), token, timeout=_lock_seconds()) else None


def _lock_seconds() -> int:
    """The lock outlives the longest possible run: the budget, plus the token refresh, one
    last message and the commit, each of which may wait a few timeouts."""
    waits = settings.MAIL_FETCH_CONNECT_TIMEOUT + sum(settings.MAIL_OAUTH_TIMEOUTS)
    return RUN_BUDGET_SECONDS + 10 * (waits + settings.MAIL_FETCH_READ_TIMEOUT)


def _release_lock(account_id: int, token: str) -> None:
    key = _lock_key(account_id)
    try:
        if cache.get(key) == token:
            cache.delete(key)
    except Exception:  # it expires by itself
        logger.exception("Mail account #%s: the fetch lock could not be released", account_id)


# --- the two protocols --------------------------------------------------------------------------


def _session(account: MailAccount) -> _ImapSession | _Pop3Session:
    if account.protocol in IMAP_PROTOCOLS:
        return _ImapSession(account)
    if account.protocol in POP3_PROTOCOLS:
        return _Pop3Session(account)
    raise FetchError("protocol", protocol=account.protocol)


def _tls_context(account: MailAccount) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not account.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _ImapSession:
    """IMAP: messages are UIDs of the account's folder."""

    def __init__(self, account: MailAccount):
        self.account = account
        self.conn: imaplib.IMAP4 | None = None
        self.uidplus = False
        self.token: str | None = None
        self.listed: list[bytes] = []
        self.disposed: list[bytes] = []
        self.finished = False

    @property
    def _open_conn(self) -> imaplib.IMAP4:
        assert self.conn is not None  # only used between open() and close()
        return self.conn

    @property
    def keep_seen(self) -> bool:
        return self.account.after_fetch == AfterFetch.MARK_SEEN

    def open(self) -> None:
        account = self.account
        host, port = account.host, account.effective_port
        # The token first: a token endpoint that is slow keeps no connection to the server open.
        self.token = _token(account)
        if account.protocol == Protocol.IMAPS:
            self.conn = imaplib.IMAP4_SSL(
                host, port, ssl_context=_tls_context(account), timeout=_connect_timeout()
            )
        else:
            self.conn = imaplib.IMAP4(host, port, timeout=_connect_timeout())
        _read_timeout(self.conn.sock)
        if account.protocol == Protocol.IMAP_STARTTLS:
            if "STARTTLS" not in self.conn.capabilities:
                raise FetchError("no_starttls", server=_server(account))
            self.conn.starttls(ssl_context=_tls_context(account))
        try:
            self._login()
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise _login_refused(account, exc) from exc
        # The capabilities after the login are the ones that count (UIDPLUS).
        typ, data = self.conn.capability()
        if typ == "OK" and data and data[-1]:
            self.uidplus = b"UIDPLUS" in data[-1].upper().split()
        typ, data = self.conn.select(imap_folder_name(account.folder or "INBOX"))
        if typ != "OK":
            raise FetchError("folder", folder=account.folder, reason=_text(data))

    def _login(self) -> None:
        login, password = self.account.login, self.account.password
        if self.token is not None:
            self._open_conn.authenticate("XOAUTH2", _sasl_responder(login, self.token))
        elif login.isascii() and password.isascii():
            # imaplib quotes the password but sends the login as it is: "DOMAIN\user" or a
            # login with a space needs the quoted form.
            self._open_conn.login(_imap_quoted(login), password)
        else:
            # LOGIN takes ASCII only; SASL PLAIN carries UTF-8.
            credentials = f"\0{login}\0{password}".encode()
            self._open_conn.authenticate("PLAIN", lambda _challenge: credentials)

    def _search(self, criterion: str) -> list[bytes]:
        typ, data = self._open_conn.uid("SEARCH", criterion)
        if typ != "OK":
            raise FetchError("list", reason=_text(data))
        uids = [uid for chunk in data if chunk for uid in chunk.split()]
        return sorted(uids, key=int)

    def list(self) -> list[bytes]:
        """The messages to fetch, oldest first.

        In delete mode that is every message, even one a mail client flagged \\Deleted
        without expunging it (or one an interrupted run flagged after storing it): it reached
        the account, so it is fetched rather than lost. A server without UIDPLUS can only
        expunge every flagged message at once; there the flagged ones come first, so that
        they are stored by the time this run expunges (see :meth:`finish`).
        """
        if self.keep_seen:
            self.listed = self._search("UNSEEN")
        elif self.uidplus:
            self.listed = self._search("ALL")
        else:
            self.listed = self._search("DELETED") + self._search("UNDELETED")
        return self.listed

    def check(self) -> ConnectionCheck:
        total = len(self._search("ALL"))
        return ConnectionCheck(total=total, to_fetch=len(self.list()))

    def retrieve(self, uid: bytes) -> bytes | None:
        # PEEK: downloading must not mark the message read before it is stored.
        typ, data = self._open_conn.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[])")  # type: ignore[arg-type]  # imaplib sends bytes as is
        if typ != "OK":
            raise FetchError("download", uid=uid.decode(), reason=_text(data))
        for part in data:
            if isinstance(part, tuple) and b"BODY[]" in part[0].upper():
                return part[1]
        return None

    def dispose(self, uid: bytes) -> None:
        flag = r"(\Seen)" if self.keep_seen else r"(\Deleted)"
        typ, data = self._open_conn.uid("STORE", uid, "+FLAGS.SILENT", flag)  # type: ignore[arg-type]  # imaplib sends bytes as is
        if typ != "OK":
            raise FetchError("mark", uid=uid.decode(), reason=_text(data))
        self.disposed.append(uid)

    def finish(self, *, quiet: bool = False) -> None:
        """Expunge the messages this run stored (delete mode)."""
        if self.finished or self.conn is None or self.keep_seen or not self.disposed:
            return
        self.finished = True
        try:
            if self.uidplus:
                # Only ours, not what a mail client flagged \Deleted meanwhile.
                typ, data = self.conn.uid("EXPUNGE", _uid_set(self.disposed))
            else:
                # A plain EXPUNGE takes every flagged message: only when each of them is one
                # this run stored. Otherwise they wait (flagged, and recognised when fetched
                # again) for a run that gets to all of them.
                flagged = set(self._search("DELETED"))
                if not flagged <= set(self.disposed):
                    logger.info(
                        "Mail account %s: %d flagged message(s) not fetched yet; no expunge",
                        self.account.name,
                        len(flagged - set(self.disposed)),
                    )
                    return
                typ, data = self.conn.expunge()
            if typ != "OK":
                raise FetchError("expunge", reason=_text(data))
        except Exception:
            if not quiet:
                raise
            logger.warning("Mail account %s: expunge failed", self.account.name, exc_info=True)

    def close(self) -> None:
        if self.conn is None:
            return
        try:
            # LOGOUT, not CLOSE: CLOSE would expunge every flagged message silently.
            self.conn.logout()
        except Exception:  # the connection is gone anyway: drop the socket
            logger.debug("Mail account %s: LOGOUT failed", self.account.name, exc_info=True)
            with contextlib.suppress(OSError):
                self.conn.shutdown()
        self.conn = None


class _LongLines:
    """poplib's line reader without its 2048-byte line limit (see :data:`POP3_MAX_LINE`)."""

    def _getline(self):
        line = self.file.readline(POP3_MAX_LINE + 1)
        if not line:
            raise poplib.error_proto("-ERR EOF")
        if len(line) > POP3_MAX_LINE:
            raise poplib.error_proto("line too long")
        size = len(line)
        if line.endswith(b"\n"):
            line = line[:-1]
        if line.endswith(b"\r"):
            line = line[:-1]
        return line, size


class _POP3(_LongLines, poplib.POP3):
    pass


class _POP3_SSL(_LongLines, poplib.POP3_SSL):
    pass


class _Pop3Session:
    """POP3: messages are the numbers of this session's maildrop; deletions take effect with
    QUIT, so a broken connection deletes nothing."""

    def __init__(self, account: MailAccount):
        self.account = account
        self.conn: poplib.POP3 | None = None
        self.finished = False

    @property
    def _open_conn(self) -> poplib.POP3:
        assert self.conn is not None  # only used between open() and close()
        return self.conn

    def open(self) -> None:
        account = self.account
        if account.after_fetch == AfterFetch.MARK_SEEN:
            raise FetchError("pop3_keep")
        host, port = account.host, account.effective_port
        token = _token(account)
        if account.protocol == Protocol.POP3S:
            self.conn = _POP3_SSL(
                host, port, context=_tls_context(account), timeout=_connect_timeout()
            )
        else:
            self.conn = _POP3(host, port, timeout=_connect_timeout())
        _read_timeout(self.conn.sock)
        if account.protocol == Protocol.POP3_STARTTLS:
            try:
                self.conn.stls(context=_tls_context(account))
            except poplib.error_proto as exc:
                raise FetchError("no_stls", server=_server(account), reason=_reason(exc)) from exc
        try:
            if token is not None:
                _pop3_xoauth2(self.conn, account.login, token)
            else:
                self.conn.user(account.login)
                self.conn.pass_(account.password)
        except poplib.error_proto as exc:
            raise _login_refused(account, exc) from exc

    def list(self) -> list[int]:
        _response, lines, _octets = self._open_conn.list()
        numbers = []
        for line in lines:
            fields = line.split()
            if fields and fields[0].isdigit():
                numbers.append(int(fields[0]))
        return sorted(numbers)

    def check(self) -> ConnectionCheck:
        count, _size = self._open_conn.stat()
        return ConnectionCheck(total=count, to_fetch=count)

    def retrieve(self, number: int) -> bytes:
        _response, lines, _octets = self._open_conn.retr(number)
        # poplib has removed the line ends and the dot-stuffing; mail lines end in CRLF.
        return b"\r\n".join(lines) + b"\r\n"

    def dispose(self, number: int) -> None:
        self._open_conn.dele(number)

    def finish(self, *, quiet: bool = False) -> None:
        """QUIT: the server now deletes the messages marked with DELE."""
        if self.finished or self.conn is None:
            return
        self.finished = True
        try:
            self.conn.quit()
        except Exception:
            if not quiet:
                raise
            logger.warning("Mail account %s: QUIT failed", self.account.name, exc_info=True)
        self.conn = None

    def close(self) -> None:
        if self.conn is None:
            return
        # Only reached without a QUIT (the connection failed): the server forgets the DELE
        # marks, and the next run recognises those messages as already stored.
        with contextlib.suppress(OSError):
            self.conn.close()
        self.conn = None


# --- authentication and timeouts ----------------------------------------------------------------


def _token(account: MailAccount) -> str | None:
    """The OAuth2 access token to log in with, None for a password account."""
    if not account.uses_oauth:
        return None
    try:
        return oauth.access_token(account)
    except oauth.TokenError as exc:
        raise FetchError(exc.code, **exc.params) from None


def _sasl_responder(login: str, token: str):
    """imaplib's authenticator for XOAUTH2: the credentials first; an error challenge (a JSON
    status the server sends before refusing) is answered with an empty line, as the mechanism
    asks."""
    answers = iter([oauth.xoauth2(login, token)])
    return lambda _challenge: next(answers, b"")


def _pop3_xoauth2(conn: poplib.POP3, login: str, token: str) -> None:
    """POP3 ``AUTH XOAUTH2`` with the initial response (RFC 5034); poplib has no AUTH."""
    response = base64.b64encode(oauth.xoauth2(login, token)).decode("ascii")
    conn._putcmd(f"AUTH XOAUTH2 {response}")  # type: ignore[attr-defined]  # poplib internals
    line, _size = conn._getline()  # type: ignore[attr-defined]
    if line.startswith(b"+ ") or line == b"+":
        # An error challenge: the empty answer ends the exchange with the server's -ERR.
        conn._putcmd("")  # type: ignore[attr-defined]
        line, _size = conn._getline()  # type: ignore[attr-defined]
    if not line.startswith(b"+OK"):
        raise poplib.error_proto(line)


def _connect_timeout() -> float:
    return float(settings.MAIL_FETCH_CONNECT_TIMEOUT)


def _read_timeout(sock: socket.socket | None) -> None:
    """After the greeting (under the connect timeout), each answer gets the read timeout."""
    if sock is not None:
        sock.settimeout(float(settings.MAIL_FETCH_READ_TIMEOUT))


# --- helpers ------------------------------------------------------------------------------------


def _imap_quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def imap_folder_name(name: str) -> str:
    """``name`` as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501, 5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            packed = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + packed.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return _imap_quoted("".join(out))


def _uid_set(uids: list[bytes]) -> str:
    """``1:3,7`` for UIDs 1, 2, 3 and 7."""
    numbers = sorted({int(uid) for uid in uids})
    ranges: list[str] = []
    start = end = numbers[0]
    for number in numbers[1:]:
        if number == end + 1:
            end = number
            continue
        ranges.append(f"{start}:{end}" if end > start else str(start))
        start = end = number
    ranges.append(f"{start}:{end}" if end > start else str(start))
    return ",".join(ranges)


def _server(account: MailAccount) -> str:
    return f"{account.host}:{account.effective_port}"


def _text(data) -> str:
    """A server's answer (imaplib hands lists of bytes) as text."""
    if isinstance(data, list | tuple):
        return " ".join(_text(item) for item in data if item)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, imaplib.IMAP4.error | poplib.error_proto) and exc.args:
        return _text(exc.args[0]).strip()
    return str(exc).strip() or type(exc).__name__


def _login_refused(account: MailAccount, exc: Exception) -> FetchError:
    code, params = _hidden(
        "login",
        {"server": _server(account), "login": account.login, "reason": _reason(exc)},
        account,
    )
    return FetchError(code, **params)


def _describe(exc: BaseException, account: MailAccount) -> tuple[str, dict]:
    """A precise account error for the administrator as a code and its figures (never with
    the password), put into words in the reader's language when shown."""
    server = _server(account)
    params: dict
    if isinstance(exc, FetchError):
        code, params = exc.code, exc.params
    elif isinstance(exc, ssl.SSLCertVerificationError):
        code = "certificate"
        params = {"server": server, "reason": exc.verify_message or _reason(exc)}
    elif isinstance(exc, ssl.SSLError):
        code, params = "tls", {"server": server, "reason": exc.reason or _reason(exc)}
    elif isinstance(exc, ConnectionRefusedError):
        code, params = "refused", {"server": server}
    elif isinstance(exc, socket.gaierror):
        code, params = "dns", {"host": account.host, "reason": exc.strerror or _reason(exc)}
    elif isinstance(exc, TimeoutError):
        code, params = "timeout", {"server": server, "seconds": settings.MAIL_FETCH_READ_TIMEOUT}
    elif isinstance(exc, OSError):
        code, params = "connection", {"server": server, "reason": exc.strerror or _reason(exc)}
    elif isinstance(exc, imaplib.IMAP4.error | poplib.error_proto):
        code, params = "server", {"server": server, "reason": _reason(exc)}
    else:
        code, params = "unexpected", {"reason": _reason(exc)}
    return _hidden(code, params, account)


def _hidden(code: str, params: dict, account: MailAccount) -> tuple[str, dict]:
    return code, {
        key: _hide_password(value, account) if isinstance(value, str) else value
        for key, value in params.items()
    }


def _hide_password(text: str, account: MailAccount) -> str:
    # A server may echo what it got; very short passwords would garble the text instead.
    for secret in (account.password, account.oauth_access_token, account.oauth_refresh_token):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "********")
    return text


__all__ = [
    "MAX_MESSAGES_PER_RUN",
    "ConnectionCheck",
    "FetchError",
    "FetchResult",
    "check_connection",
    "due_accounts",
    "fetch_account",
    "fetch_accounts",
    "fetch_due_accounts",
    "imap_folder_name",
    "is_due",
]
