"""The inbound mail spool: where ``otrs-postmaster`` (the fast MTA pipe) and the LMTP listener,
when the database is away, leave raw mail for the daemon to store.

The spool is a maildir (``tmp/``, ``new/``, ``cur/``) plus ``failed/``; the file format and
the writer are in :mod:`otrs.mail.pipe`, which imports nothing heavy. :func:`drain` takes
the messages in ``new/`` oldest first, claims each by renaming it into ``cur/`` (so two
daemons never take the same file), hands it to the MTA receiver (the ticket e-mail channel
registers :func:`tickets.postmaster.spool.receive_spooled` at ``ready()``) and deletes the
file only after the receiver returned, that is after the message was committed to the inbound
store. A message the receiver refuses is put back with a back-off (its attempts count in the
file name); after ``MAIL_SPOOL_MAX_ATTEMPTS`` tries it is moved into ``failed/`` beside a
``.error`` file with the reason, shown to administrators (:func:`failed_messages`) and never
deleted by us. A claimed file whose daemon died is taken back after ``STALE_CLAIM_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .hooks import Receipt
from .pipe import read_spool, spool_options, write_spool

logger = logging.getLogger(__name__)

# A claim older than this belongs to a daemon that died (storing one message takes seconds).
STALE_CLAIM_SECONDS = 15 * 60
# Half-written files in tmp/ older than this are from a writer that died (maildir's 36 hours).
STALE_TMP_SECONDS = 36 * 3600
# Back-off after a failed attempt: 30 s, doubling, at most an hour (100 tries: about 4 days).
RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 3600


class MtaReceiver(Protocol):
    def __call__(
        self,
        raw: bytes,
        *,
        source: str,
        queue: str | None,
        trusted: bool,
        recipients: tuple[str, ...] = (),
    ) -> Receipt: ...


@dataclass(frozen=True)
class Spooled:
    """One message read from the spool, for a receiver of several at once."""

    raw: bytes
    source: str
    queue: str | None
    trusted: bool
    recipients: tuple[str, ...] = ()


class MtaGroupReceiver(Protocol):
    def __call__(self, messages: list[Spooled]) -> list[Receipt]: ...


_receiver: MtaReceiver | None = None
_group_receiver: MtaGroupReceiver | None = None


def set_mta_receiver(receiver: MtaReceiver | None, group: MtaGroupReceiver | None = None) -> None:
    """Name the one function that stores mail delivered by an MTA (None forgets it), and the
    one that stores several at once (``group``: the drain's; it stores all or raises)."""
    global _receiver, _group_receiver  # one registry per process, filled at ready()
    _receiver, _group_receiver = receiver, group


def receive(
    raw: bytes,
    *,
    source: str,
    queue: str | None = None,
    trusted: bool = True,
    recipients: tuple[str, ...] = (),
) -> Receipt:
    """Store one message delivered by an MTA (``source``: ``pipe`` or ``lmtp``) with its
    envelope recipients (LMTP's RCPT TO); raises if it could not be stored."""
    if _receiver is None:
        raise ImproperlyConfigured("No MTA mail receiver is registered (otrs.mail.spool).")
    return _receiver(raw, source=source, queue=queue, trusted=trusted, recipients=recipients)


def spool_dir() -> Path:
    return Path(settings.MAIL_SPOOL_DIR)


def spool(
    raw: bytes,
    *,
    source: str,
    queue: str | None = None,
    trusted: bool = True,
    directory: Path | None = None,
    recipients: tuple[str, ...] = (),
) -> Path:
    """Write one message into the spool durably (raises :class:`OSError` if it cannot)."""
    options = spool_options(queue=queue, trusted=trusted, source=source)
    if recipients:
        options["recipients"] = list(recipients)
    path, _size = write_spool(directory or spool_dir(), raw, options)
    return Path(path)


@dataclass
class DrainResult:
    stored: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _attempts(name: str) -> tuple[str, int]:
    base, sep, count = name.rpartition(",a=")
    if sep and count.isdigit():
        return base, int(count)
    return name, 0


def _dirs(directory: Path) -> dict[str, Path]:
    dirs = {sub: directory / sub for sub in ("tmp", "new", "cur", "failed")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    return dirs


def _tidy(dirs: dict[str, Path], now: float) -> None:
    for entry in os.scandir(dirs["cur"]):
        try:
            if entry.stat().st_mtime < now - STALE_CLAIM_SECONDS:
                os.rename(entry.path, dirs["new"] / entry.name)
                logger.warning("Mail spool: took back %s from a daemon that died", entry.name)
        except FileNotFoundError:
            continue
    for entry in os.scandir(dirs["tmp"]):
        try:
            if entry.stat().st_mtime < now - STALE_TMP_SECONDS:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue


def _due(new: Path, now: float) -> list[str]:
    names = []
    for entry in os.scandir(new):
        try:
            # A message put back after a failure carries its next try as its mtime.
            if entry.is_file() and entry.stat().st_mtime <= now:
                names.append(entry.name)
        except FileNotFoundError:
            continue
    return sorted(names)


def drain(
    directory: Path | None = None, *, limit: int | None = None, max_attempts: int | None = None
) -> DrainResult:
    """Store the spooled messages that are due (at most ``limit``); see the module docstring."""
    directory = directory or spool_dir()
    max_attempts = max_attempts or settings.MAIL_SPOOL_MAX_ATTEMPTS
    result = DrainResult()
    now = time.time()
    dirs = _dirs(directory)
    _tidy(dirs, now)
    group: list[Path] = []
    for name in _due(dirs["new"], now)[:limit]:
        claimed = dirs["cur"] / name
        try:
            os.rename(dirs["new"] / name, claimed)
        except FileNotFoundError:
            continue  # another daemon took it
        os.utime(claimed)  # the claim's age starts now
        if _group_receiver is None:
            _take(claimed, dirs, max_attempts, result)
            continue
        group.append(claimed)
        if len(group) >= settings.POSTMASTER_GROUP_SIZE:
            _take_group(group, dirs, max_attempts, result)
            group = []
    if group:
        _take_group(group, dirs, max_attempts, result)
    return result


def _take_group(
    claimed: list[Path], dirs: dict[str, Path], max_attempts: int, result: DrainResult
) -> None:
    """Several claimed files stored by the group receiver (one commit for all of them) and
    deleted after it returned; if the group cannot be stored, each file is taken alone,
    so one message the receiver refuses gets its own back-off and the others go in."""
    assert _group_receiver is not None
    try:
        messages = []
        for path in claimed:
            options, raw = read_spool(path)
            messages.append(
                Spooled(
                    raw=raw,
                    source=str(options.get("source") or "pipe"),
                    queue=options.get("queue") or None,
                    trusted=bool(options.get("trusted", True)),
                    recipients=tuple(str(r) for r in options.get("recipients") or ()),
                )
            )
        receipts = _group_receiver(messages)
    except Exception as exc:
        logger.warning("Mail spool: a group of %d not stored (%s); one by one", len(claimed), exc)
        for path in claimed:
            _take(path, dirs, max_attempts, result)
        return
    for path, receipt in zip(claimed, receipts, strict=True):
        os.unlink(path)
        result.stored += 1
        logger.info(
            "Mail spool: %s stored as inbound message #%s%s",
            path.name,
            receipt.stored_id,
            " (a copy of one stored before)" if receipt.duplicate else "",
        )


def _take(claimed: Path, dirs: dict[str, Path], max_attempts: int, result: DrainResult) -> None:
    name = claimed.name
    try:
        options, raw = read_spool(claimed)
        receipt = receive(
            raw,
            source=str(options.get("source") or "pipe"),
            queue=options.get("queue") or None,
            trusted=bool(options.get("trusted", True)),
            recipients=tuple(str(r) for r in options.get("recipients") or ()),
        )
    except Exception as exc:
        base, attempts = _attempts(name)
        attempts += 1
        reason = f"{type(exc).__name__}: {exc}"
        result.errors.append(f"{name}: {reason}")
        unreadable = isinstance(exc, ValueError) and not isinstance(exc, UnicodeError)
        if unreadable or attempts >= max_attempts:
            _fail(claimed, dirs["failed"], reason, attempts)
            result.failed += 1
            return
        logger.warning("Mail spool: %s not stored (attempt %d): %s", name, attempts, reason)
        retry = dirs["new"] / f"{base},a={attempts}"
        delay = min(RETRY_FIRST_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS)
        os.rename(claimed, retry)
        next_try = time.time() + delay
        os.utime(retry, (next_try, next_try))
        result.retried += 1
        return
    os.unlink(claimed)
    result.stored += 1
    logger.info(
        "Mail spool: %s stored as inbound message #%s%s",
        name,
        receipt.stored_id,
        " (a copy of one stored before)" if receipt.duplicate else "",
    )


def _fail(claimed: Path, failed: Path, reason: str, attempts: int) -> None:
    target = failed / claimed.name
    (failed / f"{claimed.name}.error").write_text(
        f"{reason}\n(after {attempts} attempt(s))\n", encoding="utf-8"
    )
    os.rename(claimed, target)
    logger.error("Mail spool: %s moved aside into %s: %s", claimed.name, failed, reason)


@dataclass(frozen=True)
class FailedMessage:
    path: Path
    size: int
    failed_at: float
    error: str


def failed_messages(directory: Path | None = None) -> Iterator[FailedMessage]:
    """The messages moved aside (oldest first), for administrators."""
    failed = (directory or spool_dir()) / "failed"
    if not failed.is_dir():
        return
    entries = sorted(
        (e for e in os.scandir(failed) if e.is_file() and not e.name.endswith(".error")),
        key=lambda e: e.name,
    )
    for entry in entries:
        try:
            error = Path(f"{entry.path}.error").read_text(encoding="utf-8").strip()
        except OSError:
            error = ""
        stat = entry.stat()
        yield FailedMessage(Path(entry.path), stat.st_size, stat.st_mtime, error)


def requeue_failed(directory: Path | None = None) -> int:
    """Put every moved-aside message back for another round of tries (after the cause is
    fixed); returns how many."""
    directory = directory or spool_dir()
    dirs = _dirs(directory)
    count = 0
    for message in list(failed_messages(directory)):
        base, _attempts_so_far = _attempts(message.path.name)
        os.rename(message.path, dirs["new"] / f"{base},a=0")
        Path(f"{message.path}.error").unlink(missing_ok=True)
        count += 1
    return count


__all__ = [
    "DrainResult",
    "FailedMessage",
    "Spooled",
    "drain",
    "failed_messages",
    "receive",
    "requeue_failed",
    "set_mta_receiver",
    "spool",
]
