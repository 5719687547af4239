"""Which addresses a webhook may reach: public ones, and private ones an operator allowed.

A hook's URL is chosen by an administrator but fetched by the server, so without a check it
could reach the loopback interface, the cloud metadata service (169.254.169.254) or hosts on
the internal network (server-side request forgery). :func:`check` resolves the URL's host and
refuses it if any of its addresses is neither public nor inside one of the networks in
``WEBHOOK_ALLOWED_NETWORKS``. The form checks when the hook is saved; the sender checks again
before every attempt and connects to the address it checked (:func:`pinned`), so a
name that resolves differently a second time (DNS rebinding) cannot slip through.

Where the environment names a proxy for the URL (``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``,
unless the host is in ``NO_PROXY``: :func:`proxy_for`), the delivery goes through it
(:func:`proxied`; HTTPS as a ``CONNECT`` tunnel, TLS still verified end to end). The proxy
resolves the name then, so the address check is done here as well but cannot be pinned, and a
name this host cannot resolve is left to the proxy: a site that sends through a proxy makes
it the place that decides where requests may go.

Certificates are verified against ``WEBHOOK_CA_BUNDLE`` when set (a file of trusted CA
certificates, for endpoints signed by a private CA), else against requests' own bundle.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """The URL may not be reached; the message says why (translated)."""


class Unresolved(Refused):
    """The host has no address (now): nothing can be reached, nothing internal either."""


@dataclass(frozen=True)
class Target:
    """A checked URL: the host as written and the address to connect to."""

    url: str
    host: str
    port: int
    address: Address


def allowed_networks() -> list[Network]:
    networks = []
    for text in settings.WEBHOOK_ALLOWED_NETWORKS or []:
        text = str(text).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_NETWORKS: {text!r}: {exc}") from exc
    return networks


def _plain(address: Address) -> Address:
    # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def permitted(address: Address, networks: list[Network] | None = None) -> bool:
    address = _plain(address)
    if networks is None:
        networks = allowed_networks()
    if any(address.version == net.version and address in net for net in networks):
        return True
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[Address]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolved(
            _("The host %(host)s could not be resolved: %(error)s") % {"host": host, "error": exc}
        ) from exc
    found: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 address may carry a scope ("fe80::1%eth0"): the address is what counts.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise Unresolved(_("The host %(host)s has no address.") % {"host": host})
    return found


def check(url: str) -> Target:
    """The URL's host resolved and every address permitted, or :class:`Refused`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Only http and https addresses can receive webhooks."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(_("The address has an invalid port.")) from exc
    networks = allowed_networks()
    addresses = resolve(parts.hostname, port)
    for address in addresses:
        if not permitted(address, networks):
            raise Refused(
                _(
                    "%(host)s resolves to %(address)s, which is not a public address; "
                    "webhooks may reach private, loopback and link-local addresses only in "
                    "the networks of WEBHOOK_ALLOWED_NETWORKS."
                )
                % {"host": parts.hostname, "address": address}
            )
    return Target(url=url, host=parts.hostname, port=port, address=addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked address; TLS still names and verifies the URL's host."""

    def __init__(self, host: str):
        self._host = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["server_hostname"] = self._host
        pool_kwargs["assert_hostname"] = self._host
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def pinned(target: Target) -> tuple[requests.Session, str, dict[str, str]]:
    """A session, the URL with the checked address in place of the host, and the Host header
    (a direct connection: see :func:`proxied` for one through a proxy)."""
    parts = urlsplit(target.url)
    literal = str(target.address)
    if target.address.version == 6:
        literal = f"[{literal}]"
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    if "@" in parts.netloc:
        # Credentials in the URL stay (requests sends them as basic authentication).
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    host_header = parts.hostname or target.host
    if ":" in host_header:
        host_header = f"[{host_header}]"
    if parts.port is not None:
        host_header = f"{host_header}:{parts.port}"
    session = _session()
    session.mount(f"{parts.scheme}://", _PinnedAdapter(target.host))
    url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return session, url, {"Host": host_header}


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (none for a host in ``NO_PROXY``)."""
    found = requests.utils.get_environ_proxies(url)
    return requests.utils.select_proxy(url, found) if found else None


def proxied(url: str, proxy: str) -> tuple[requests.Session, str, dict[str, str]]:
    """A session that sends to ``url`` through ``proxy``, the URL, and no extra headers."""
    session = _session()
    session.proxies = {urlsplit(url).scheme: proxy}
    return session, url, {}


def _session() -> requests.Session:
    session = requests.Session()
    # Nothing from the environment but what proxy_for() read: no .netrc, no CA bundle
    # variables (WEBHOOK_CA_BUNDLE names the one trusted here).
    session.trust_env = False
    session.verify = settings.WEBHOOK_CA_BUNDLE or True
    return session
