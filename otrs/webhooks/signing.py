"""The signature of a webhook request, and how a receiver checks it.

Every request carries these headers (README "Webhooks"):

``X-OTRS-Webhook-Delivery``
    The delivery's id (a UUID): the same on every attempt and redelivery of one delivery, so a
    receiver can drop repeats.
``X-OTRS-Webhook-Event``
    The event's name (``TicketCreate``).
``X-OTRS-Webhook-Timestamp``
    When this attempt was signed, in seconds since 1970 (UTC).
``X-OTRS-Webhook-Signature``
    ``sha256=`` and the hex HMAC-SHA256, keyed with the hook's secret, of the timestamp, a
    dot, and the request body as sent (``b"1765100000." + body``).

A receiver recomputes the HMAC over the timestamp header and the raw body, compares it in
constant time, and refuses a timestamp older than a few minutes (a replayed request).
:func:`verify` does this, for receivers written in Python and for the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import time

DELIVERY_HEADER = "X-OTRS-Webhook-Delivery"
EVENT_HEADER = "X-OTRS-Webhook-Event"
TIMESTAMP_HEADER = "X-OTRS-Webhook-Timestamp"
SIGNATURE_HEADER = "X-OTRS-Webhook-Signature"
PREFIX = "sha256="
# How old a signed request may be when a receiver gets it (seconds).
TOLERANCE = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return PREFIX + digest.hexdigest()


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    signed: str,
    *,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``signed`` is the signature of ``body`` at ``timestamp`` with ``secret`` and
    the timestamp is no more than ``tolerance`` seconds away from ``now``."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - stamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), signed or "")


def headers(secret: str, *, delivery: str, event: str, body: bytes, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "OTRS-Django-Webhooks/1",
        DELIVERY_HEADER: delivery,
        EVENT_HEADER: event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
