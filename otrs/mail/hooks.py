"""Where the transport hands over to the channel that uses it.

The transport fetches, parses and sends; what a mail means is decided above it (the ticket
e-mail channel, :mod:`tickets.postmaster` and :mod:`tickets.deliveries`, registers here in its
``AppConfig.ready``). Everything that crosses is plain data: raw bytes, ids, dataclasses.

- **inbound receiver** (one): takes the raw bytes of a fetched message and stores them for
  good before it returns (the fetcher deletes the message on the server only afterwards);
- **delivery listeners** (any number): hear how each attempt to send a queued message ended,
  in the transaction that records it (the sending runs in a Celery task already);
- **own-address checks** (any number): say whether an address is one of ours, so that no
  automatic mail goes to it (:mod:`otrs.mail.loop`);
- **quarantine counter** (one): how many stored messages of each account wait in quarantine,
  for the mail-health page (:mod:`otrs.mail.health`);
- **raw store** (one): keeps the bytes of a queued message that the channel stores anyway
  (an article's source), so that the outgoing queue refers to them instead of a second copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

logger = logging.getLogger(__name__)


# --- inbound -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What the receiver did with one raw message: the id of the stored row, and whether the
    same bytes had been stored before (then nothing new was made)."""

    stored_id: int
    duplicate: bool = False


class InboundReceiver(Protocol):
    def __call__(self, raw: bytes, *, account_id: int, trusted: bool) -> Receipt: ...


_receiver: InboundReceiver | None = None


def set_inbound_receiver(receiver: InboundReceiver | None) -> None:
    """Name the one function that stores fetched mail (None forgets it)."""
    global _receiver  # one registry per process, filled at ready()
    _receiver = receiver


def receive(raw: bytes, *, account_id: int, trusted: bool) -> Receipt:
    """Hand one fetched message to the receiver. Raises if it could not be stored (the
    fetcher then leaves it on the server), or if nobody receives mail at all."""
    if _receiver is None:
        raise ImproperlyConfigured("No inbound mail receiver is registered (otrs.mail.hooks).")
    return _receiver(raw, account_id=account_id, trusted=trusted)


# --- delivery outcomes -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReport:
    """How one attempt to send a queued message ended. ``copied_from`` is set when the
    attempt split the recipients: this row is a copy of that one, for some of its recipients."""

    message_id: int
    status: str
    recipients: tuple[str, ...]
    attempts: int
    last_error: str = ""
    copied_from: int | None = None


DeliveryListener = Callable[[DeliveryReport], None]
_listeners: dict[str, DeliveryListener] = {}


def on_delivery(key: str, listener: DeliveryListener) -> None:
    """Register ``listener`` under ``key`` (registering a key again replaces it)."""
    _listeners[key] = listener


def remove_delivery_listener(key: str) -> None:
    _listeners.pop(key, None)


def report_delivery(report: DeliveryReport) -> None:
    """Tell every listener, each in a savepoint of its own: a failing listener is logged and
    must not undo the record of a delivery that happened, nor keep the others from hearing."""
    for key, listener in list(_listeners.items()):
        try:
            with transaction.atomic():
                listener(report)
        except Exception:
            logger.exception(
                "Outgoing message %s: delivery listener %s failed", report.message_id, key
            )


# --- our own addresses -------------------------------------------------------------------------


OwnAddressCheck = Callable[[str], bool]
_own_address_checks: dict[str, OwnAddressCheck] = {}


def on_own_address_check(key: str, check: OwnAddressCheck) -> None:
    """Register a check that says whether an address (lower-cased) is one of ours."""
    _own_address_checks[key] = check


def is_own_address(address: str) -> bool:
    return any(check(address) for check in _own_address_checks.values())


# --- quarantine sizes --------------------------------------------------------------------------


QuarantineCounter = Callable[[], dict[int, int]]
_quarantine_counter: QuarantineCounter | None = None


def set_quarantine_counter(counter: QuarantineCounter | None) -> None:
    """Name the one function that counts quarantined messages per account id."""
    global _quarantine_counter  # one registry per process, filled at ready()
    _quarantine_counter = counter


def quarantine_counts() -> dict[int, int] | None:
    """Quarantined messages per account id; None when no channel keeps a quarantine."""
    return _quarantine_counter() if _quarantine_counter is not None else None


# --- the shared raw store ------------------------------------------------------------------------


class RawStore(Protocol):
    def put(self, raw: bytes) -> int: ...

    def read(self, blob_id: int) -> bytes: ...


_raw_store: RawStore | None = None


def set_raw_store(store: RawStore | None) -> None:
    """Name the one store that keeps shared message bytes (None forgets it)."""
    global _raw_store  # one registry per process, filled at ready()
    _raw_store = store


def put_raw(raw: bytes) -> int:
    """Store ``raw`` in the shared store (the same bytes once); its id."""
    if _raw_store is None:
        raise ImproperlyConfigured("No raw mail store is registered (otrs.mail.hooks).")
    return _raw_store.put(raw)


def read_raw(blob_id: int) -> bytes:
    if _raw_store is None:
        raise ImproperlyConfigured("No raw mail store is registered (otrs.mail.hooks).")
    return _raw_store.read(blob_id)
