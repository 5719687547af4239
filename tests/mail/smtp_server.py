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

``start_smtp_server(...)`` starts one with TLS or AUTH for transport tests; with
``xoauth2=check`` it offers ``AUTH XOAUTH2`` and asks ``check(user, token)`` (the OAuth tests
ask the token server of tests/mail/oauth_server.py).
"""

from __future__ import annotations

import base64
import binascii
import socket
import ssl
import threading
from collections.abc import Callable
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


class XOAuth2Handler(RecordingHandler):
    """Also offers ``AUTH XOAUTH2`` (aiosmtpd takes ``auth_<MECHANISM>`` methods of the
    handler): the user and bearer token of the initial response go to ``check``."""

    def __init__(self, check: Callable[[str, str], bool]) -> None:
        super().__init__()
        self.check = check
        self.logins: list[str] = []

    async def auth_XOAUTH2(self, server, args):
        if len(args) > 1:
            blob = args[1].encode()
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            blob = base64.b64encode(answer)
        try:
            fields = dict(
                part.split("=", 1) for part in base64.b64decode(blob).decode().split("\x01") if part
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Cannot decode")
        user, auth = fields.get("user", ""), fields.get("auth", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        if token and self.check(user, token):
            with self.lock:
                self.logins.append(user)
            return AuthResult(success=True)
        # The mechanism's error challenge; the client answers with an empty line.
        await server.challenge_auth('{"status":"401","schemes":"bearer"}')
        return AuthResult(success=False, handled=False, message="535 5.7.8 Invalid token")


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
    xoauth2: Callable[[str, str], bool] | None = None,
) -> SMTPServer:
    """Start a server: plain SMTP; with ``tls_context`` STARTTLS (or TLS from the start with
    ``implicit_tls``); with ``logins`` AUTH PLAIN/LOGIN against those user → password pairs."""
    handler = RecordingHandler() if xoauth2 is None else XOAuth2Handler(xoauth2)
    options: dict = {"server_hostname": "smtp.test.invalid", "ready_timeout": 10}
    if xoauth2 is not None:
        options["auth_require_tls"] = False
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
