"""Webhooks over HTTPS end to end: a real TLS server on loopback with a certificate from a
test CA that only ``WEBHOOK_CA_BUNDLE`` makes trusted (verification stays on), and a real
``CONNECT`` proxy that the environment names (``HTTPS_PROXY``, bypassed for ``NO_PROXY``)."""

from __future__ import annotations

import ipaddress
import select
import socket
import socketserver
import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from otrs.webhooks import signing
from otrs.webhooks.models import Webhook, WebhookAttempt
from tests import factories
from tickets.events import TicketEvent

pytestmark = pytest.mark.django_db

# A name no resolver knows: only the test proxy maps it (to the loopback server).
PROXY_ONLY_NAME = "webhook-tls-test.invalid"


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_pki(directory) -> tuple[str, str, str]:
    """A test CA and a server certificate it signed (for 127.0.0.1 and PROXY_ONLY_NAME):
    the paths of the CA file, the server certificate and its key."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("webhook test CA"))
        .issuer_name(_name("webhook test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName(PROXY_ONLY_NAME),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tuple(str(p) for p in paths)  # type: ignore[return-value]


class TlsReceiver:
    """An HTTPS server on loopback that keeps every request it gets."""

    def __init__(self, cert: str, key: str):
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "tls": self.request.version()}
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ConnectProxy:
    """A forwarding proxy that speaks ``CONNECT`` only, records each target and tunnels the
    bytes (PROXY_ONLY_NAME goes to 127.0.0.1)."""

    def __init__(self):
        self.targets: list[str] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                method, target, _version = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
                proxy.targets.append(target)
                host, _sep, port = target.rpartition(":")
                if method != "CONNECT":
                    self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                upstream_host = "127.0.0.1" if host == PROXY_ONLY_NAME else host
                with socket.create_connection((upstream_host, int(port)), timeout=10) as up:
                    self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    ends = [self.request, up]
                    while True:
                        ready, _w, _x = select.select(ends, [], [], 10)
                        if not ready:
                            return
                        for end in ready:
                            data = end.recv(65536)
                            if not data:
                                return
                            (up if end is self.request else self.request).sendall(data)

        socketserver.ThreadingTCPServer.daemon_threads = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls(tmp_path, settings, monkeypatch):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    ca, cert, key = make_pki(tmp_path)
    receiver = TlsReceiver(cert, key)
    proxy = ConnectProxy()
    yield ca, receiver, proxy
    receiver.close()
    proxy.close()


def deliver(url: str, capture, name: str) -> tuple[Webhook, WebhookAttempt]:
    """A hook for new tickets of a queue of its own, one new ticket, its first attempt."""
    queue = factories.queue(f"Webhook-tls {name}", group_=factories.group(f"webhook-tls {name}"))
    hook = Webhook.objects.create(
        name=f"webhook-tls {name}",
        url=url,
        events=[TicketEvent.TICKET_CREATE.value],
        filters={"ticket.queue": [str(queue.pk)]},
    )
    with capture(execute=True):
        factories.ticket(queue, title=f"Webhook-tls {name}")
    return hook, WebhookAttempt.objects.get(delivery__hook=hook)


def test_an_endpoint_of_an_untrusted_ca_is_refused_and_a_trusted_one_gets_the_delivery(
    tls, settings, django_capture_on_commit_callbacks
):
    ca, receiver, _proxy = tls
    url = f"https://127.0.0.1:{receiver.port}/hook"
    settings.WEBHOOK_CA_BUNDLE = ""
    _hook, refused = deliver(url, django_capture_on_commit_callbacks, "untrusted")
    assert not refused.succeeded and refused.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in refused.error or "certificate" in refused.error
    assert receiver.requests == []
    settings.WEBHOOK_CA_BUNDLE = ca
    hook, sent = deliver(url, django_capture_on_commit_callbacks, "trusted")
    assert sent.succeeded and sent.status_code == 204, sent.error
    request = receiver.requests[-1]
    assert request["tls"] in ("TLSv1.2", "TLSv1.3")
    headers = request["headers"]
    assert signing.verify(
        hook.secret,
        request["body"],
        headers[signing.TIMESTAMP_HEADER],
        headers[signing.SIGNATURE_HEADER],
    )


def test_deliveries_go_through_the_environments_proxy_unless_no_proxy_names_the_host(
    tls, settings, monkeypatch, django_capture_on_commit_callbacks
):
    ca, receiver, proxy = tls
    settings.WEBHOOK_CA_BUNDLE = ca
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    url = f"https://127.0.0.1:{receiver.port}/hook"
    _hook, sent = deliver(url, django_capture_on_commit_callbacks, "proxied")
    assert sent.succeeded, sent.error
    assert proxy.targets == [f"127.0.0.1:{receiver.port}"]
    assert len(receiver.requests) == 1
    # A name only the proxy can resolve is left to it (and its certificate still checked).
    _hook, named = deliver(
        f"https://{PROXY_ONLY_NAME}:{receiver.port}/hook",
        django_capture_on_commit_callbacks,
        "proxy-only name",
    )
    assert named.succeeded, named.error
    assert proxy.targets[-1] == f"{PROXY_ONLY_NAME}:{receiver.port}"
    assert receiver.requests[-1]["headers"]["Host"].startswith(PROXY_ONLY_NAME)
    # NO_PROXY: straight to the endpoint.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _hook, direct = deliver(url, django_capture_on_commit_callbacks, "direct")
    assert direct.succeeded, direct.error
    assert len(proxy.targets) == 2 and len(receiver.requests) == 3
    # Without a proxy that name cannot be resolved: refused, nothing sent.
    monkeypatch.delenv("HTTPS_PROXY")
    _hook, unresolved = deliver(
        f"https://{PROXY_ONLY_NAME}:{receiver.port}/hook",
        django_capture_on_commit_callbacks,
        "unresolved",
    )
    assert not unresolved.succeeded and unresolved.error.startswith("Not sent:")
    assert len(receiver.requests) == 3
