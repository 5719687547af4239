"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, recording every
message it accepts (envelope and raw bytes) and refusing on demand.

The ``smtp_server`` fixture (registered in tests/conftest.py) starts one per test and points
``settings.OUTGOING_MAIL`` at it::

    def test_it_sends(smtp_server):
        ...
        (received,) = smtp_server.messages
        assert received.rcpt_tos == ["carol@example.com"]

    smtp_server.refuse_data("451 4.3.0 Try again later")   # every DATA answered so
    smtp_server.refuse_rcpt("bad@example.com", "550 5.1.1 No such user")
    smtp_server.accept()                                   # back to normal

``start_smtp_server(...)`` starts one with TLS or AUTH for transport tests.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)


@dataclass
class RecordingHandler:
    messages: list[Received] = field(default_factory=list)
    data_reply: str | None = None
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.data_reply:
                return self.data_reply
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=bytes(envelope.original_content),
                )
            )
        return "250 Message accepted for delivery"


class SMTPServer:
    """A running server; see the module docstring."""

    def __init__(self, controller: Controller, handler: RecordingHandler, scheme: str) -> None:
        self.controller = controller
        self.handler = handler
        self.scheme = scheme

    @property
    def host(self) -> str:
        return self.controller.hostname

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def config(self, *, user: str = "", password: str = "") -> dict:
        """The ``settings.OUTGOING_MAIL`` that sends here."""
        return {
            "scheme": self.scheme,
            "host": self.host,
            "port": self.port,
            "user": user,
            "password": password,
        }

    def refuse_data(self, reply: str) -> None:
        with self.handler.lock:
            self.handler.data_reply = reply

    def refuse_rcpt(self, address: str, reply: str) -> None:
        with self.handler.lock:
            self.handler.rcpt_replies[address.lower()] = reply

    def accept(self) -> None:
        with self.handler.lock:
            self.handler.data_reply = None
            self.handler.rcpt_replies.clear()

    def stop(self) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp_server(
    *,
    tls_context: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    logins: dict[str, str] | None = None,
) -> SMTPServer:
    """Start a server: plain SMTP; with ``tls_context`` STARTTLS (or TLS from the start with
    ``implicit_tls``); with ``logins`` AUTH PLAIN/LOGIN against those user → password pairs."""
    handler = RecordingHandler()
    options: dict = {"server_hostname": "smtp.test.invalid", "ready_timeout": 10}
    if logins is not None:

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = logins.get(auth_data.login.decode()) == auth_data.password.decode()
            return AuthResult(success=ok, handled=False)

        # aiosmtpd counts only STARTTLS as TLS; with TLS from the start it must not insist.
        options.update(
            authenticator=authenticate,
            auth_require_tls=tls_context is not None and not implicit_tls,
        )
    if implicit_tls:
        options["ssl_context"] = tls_context
    elif tls_context is not None:
        options.update(tls_context=tls_context, require_starttls=True)
    scheme = "smtps" if implicit_tls else "smtp+starttls" if tls_context else "smtp"
    # A free port can be taken between the probe and the bind: try a few.
    for _attempt in range(5):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
        try:
            controller.start()
        except (OSError, RuntimeError):
            continue
        return SMTPServer(controller, handler, scheme)
    raise RuntimeError("could not start the test SMTP server")


@pytest.fixture
def smtp_server(settings):
    """A plain SMTP server for this test, with ``settings.OUTGOING_MAIL`` pointing at it."""
    server = start_smtp_server()
    settings.OUTGOING_MAIL = server.config()
    try:
        yield server
    finally:
        server.stop()
