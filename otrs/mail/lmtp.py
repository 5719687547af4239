"""The LMTP listener (``manage.py lmtpd``): MTAs deliver inbound mail to it (postfix
``lmtp:inet:127.0.0.1:8024``, exim's ``lmtp`` transport), and it drains the mail spool.

aiosmtpd speaks the protocol; storing runs in one worker thread (one database connection, the
asyncio loop never blocks). For each message the listener answers, per recipient (LMTP, RFC
2033), ``250`` once the message is stored durably: in the inbound store through the MTA
receiver (:func:`otrs.mail.spool.receive`), or, when that fails (the database is away), in
the spool, which the same process drains again every second. When neither works it answers
``451`` and the MTA keeps the message and tries again later. The message is stored once
whatever its number of recipients (the postmaster maps the addresses in its headers to
queues); the same bytes delivered again are recognised by the inbound store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.lmtp import LMTP
from django.conf import settings
from django.db import connections

from . import spool

logger = logging.getLogger(__name__)

STORED = "250 2.0.0 Message stored"
TEMPFAIL = "451 4.3.0 The message cannot be stored now; try again later"


@dataclass(frozen=True)
class Address:
    host: str = ""
    port: int = 0
    path: str = ""  # a Unix socket

    def __str__(self) -> str:
        return f"unix:{self.path}" if self.path else f"{self.host}:{self.port}"


def parse_addresses(value: str) -> list[Address]:
    """``host:port`` and ``unix:/path`` items, comma-separated (the ``LMTP_LISTEN`` setting).
    Raises :class:`ValueError` naming the bad item."""
    addresses = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item.startswith("unix:"):
            path = item[len("unix:") :]
            if not path.startswith("/"):
                raise ValueError(f"{item!r}: a Unix socket needs an absolute path")
            addresses.append(Address(path=path))
            continue
        host, sep, port = item.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item!r}: expected host:port or unix:/path")
        addresses.append(Address(host=host.strip("[]") or "127.0.0.1", port=int(port)))
    if not addresses:
        raise ValueError("no address to listen on")
    return addresses


def store(raw: bytes, recipients: tuple[str, ...] = ()) -> str:
    """Store one delivered message durably (runs in the worker thread), with its envelope
    recipients (RCPT TO): ``"stored"`` in the inbound store, ``"spooled"`` in the spool.
    Raises when neither worked. The database connection stays open between messages (a
    connection of the MTA usually brings several); a broken one is replaced."""
    _usable_connections()
    try:
        spool.receive(raw, source="lmtp", queue=None, trusted=True, recipients=recipients)
        return "stored"
    except Exception as exc:
        logger.warning("LMTP: message not stored in the database (%s); spooling it", exc)
        connections.close_all()
    spool.spool(raw, source="lmtp", recipients=recipients)
    return "spooled"


def _usable_connections() -> None:
    """Keep this thread's open database connections for the next message, unless the
    database dropped them (a restart): then they are closed and the next query reconnects.
    (Django's per-request ``close_old_connections`` would close them every time with the
    default ``CONN_MAX_AGE`` of 0: one connection set-up per message.)"""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and (conn.errors_occurred or not conn.is_usable()):
            conn.close()


def drain_spool() -> None:
    _usable_connections()
    try:
        result = spool.drain(limit=200)
        if result.stored or result.failed:
            logger.info(
                "Mail spool: %d stored, %d retried later, %d moved aside",
                result.stored,
                result.retried,
                result.failed,
            )
    except Exception:
        connections.close_all()
        raise


class Handler:
    """aiosmtpd's hooks: every recipient is accepted (the postmaster decides what a mail to an
    unknown address means); the message is stored once, then each recipient gets the answer."""

    def __init__(
        self, executor: ThreadPoolExecutor, store: Callable[[bytes, tuple[str, ...]], str] = store
    ):
        self.executor = executor
        self.store = store

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        try:
            where = await loop.run_in_executor(
                self.executor, self.store, bytes(raw), tuple(envelope.rcpt_tos)
            )
            status = STORED if where == "stored" else f"{STORED} (spooled)"
        except Exception:
            logger.exception("LMTP: message from %s could not be stored", envelope.mail_from)
            status = TEMPFAIL
        return "\r\n".join(status for _ in envelope.rcpt_tos) or status


class Listener:
    """The servers on every address, and the spool drain every ``poll`` seconds."""

    def __init__(self, addresses: list[Address], *, poll: float = 1.0, hostname: str = ""):
        self.addresses = addresses
        self.poll = poll
        self.hostname = hostname or settings.MAIL_DOMAIN
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lmtp-store")
        self.handler = Handler(self.executor)
        self.servers: list[asyncio.base_events.Server] = []

    def _protocol(self) -> LMTP:
        return LMTP(
            self.handler,
            hostname=self.hostname,
            ident="otrs lmtpd",
            decode_data=False,
            enable_SMTPUTF8=True,
            # Mail above the postmaster's limit is still taken (and quarantined where an
            # administrator sees it); only what is far beyond it is refused at the door.
            data_size_limit=4 * settings.POSTMASTER_MAX_EMAIL_BYTES,
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for address in self.addresses:
            if address.path:
                path = Path(address.path)
                if path.is_socket():
                    path.unlink()
                path.parent.mkdir(parents=True, exist_ok=True)
                server = await loop.create_unix_server(self._protocol, path=address.path)
                os.chmod(address.path, 0o660)  # the MTA's group delivers; nobody else
            else:
                server = await loop.create_server(
                    self._protocol, host=address.host, port=address.port
                )
            self.servers.append(server)

    async def serve(self, stop: asyncio.Event, ready: Callable[[], None] | None = None) -> None:
        await self.start()
        if ready is not None:
            ready()
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                await loop.run_in_executor(self.executor, drain_spool)
            except Exception:
                logger.exception("Mail spool: drain failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll)
        for server in self.servers:
            server.close()
            await server.wait_closed()
        self.executor.shutdown(wait=True)


def run(addresses: list[Address], *, poll: float = 1.0, ready: Callable[[], None] | None = None):
    """Serve until SIGTERM or SIGINT."""
    # aiosmtpd logs every command of every session at INFO ("mail.log"); keep its warnings.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Listener(addresses, poll=poll).serve(stop, ready)

    asyncio.run(main())
