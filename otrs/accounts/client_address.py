"""The address of the client behind the reverse proxies the operator trusts.

Gunicorn does not rewrite ``REMOTE_ADDR`` from ``X-Forwarded-For``: behind nginx or Apache
the peer of every request is the proxy. The proxy writes the address it saw into
``X-Forwarded-For``, each further proxy appends the address it saw, and anyone can send the
header with whatever they like in it. So the header is read only when the peer is one of
``TRUSTED_PROXIES`` (addresses and CIDR networks), and then from the right: the entries that
are themselves trusted proxies are skipped, and the first one that is not is the client.
Entries further left were written by that client, so they are never believed.

A peer on a Unix socket (gunicorn then gives no address) can only be a process on this host
allowed to open the socket, so it counts as a trusted proxy, as it does for gunicorn's own
``forwarded_allow_ips``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# What a request whose client cannot be told counts as (a Unix socket and no header).
UNKNOWN = "unknown"


def client_address(request) -> str:
    """The client's IP address as text (``UNKNOWN`` if there is none to tell)."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    trusted = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if peer is not None and not _is_trusted(peer, trusted):
        if forwarded and peer.is_loopback:
            _warn_once(str(peer))
        return str(peer)
    nearest = peer
    for entry in reversed(forwarded.split(",")):
        hop = _parse(entry)
        if hop is None:
            # A trusted proxy writes addresses only; what it passed on from further left
            # cannot be believed, so the client is the nearest hop that can.
            break
        nearest = hop
        if not _is_trusted(hop, trusted):
            break
    return str(nearest) if nearest is not None else UNKNOWN


def _parse(text: str) -> IPAddress | None:
    """An address as a proxy writes it: ``192.0.2.1``, ``2001:db8::1``, and also with a port
    (``192.0.2.1:5000``, ``[2001:db8::1]:5000``), which some load balancers add."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client of a dual-stack proxy may show as ::ffff:192.0.2.1.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _is_trusted(address: IPAddress, trusted: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in trusted)


@functools.lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


@functools.lru_cache(maxsize=16)
def _warn_once(peer: str) -> None:
    logger.warning(
        "X-Forwarded-For from %s is ignored because TRUSTED_PROXIES does not list it; "
        "behind a proxy every client then has the proxy's address (see deploy/README.md).",
        peer,
    )
