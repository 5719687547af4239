"""A small OAuth2 provider for tests, and a dovecot that checks XOAUTH2 logins with it.

``OAuthServer`` runs on 127.0.0.1 in a thread of the test process (the standard library's
threading HTTP server) and speaks the parts of OAuth2 a mail account uses:

- ``GET /authorize``: approves at once (as the user ``approve_as``) and redirects back to the
  ``redirect_uri`` with a one-time ``code`` and the ``state``; remembers the PKCE challenge;
- ``POST /token``: the ``authorization_code`` grant (client secret and PKCE verifier checked)
  and the ``refresh_token`` grant, which **rotates** the refresh token (the old one is dead
  from then on, as at Microsoft); errors as RFC 6749 5.2 (``invalid_grant`` ...);
- ``POST /introspect``: what dovecot's ``passdb oauth2`` asks (``introspection_mode = post``):
  ``{"active": true, "username": ...}`` for a live access token.

``delay`` makes the token endpoint sleep before it answers (a hanging provider);
``revoke(user)`` kills every token of a user (what an administrator or a password change does
at the provider).

The ``dovecot_oauth`` fixture (session-scoped) runs a dovecot of its own whose ``passdb
oauth2`` asks this server about XOAUTH2 logins, beside the usual password file for PLAIN (so
that tests can still deliver with :meth:`Mailbox.deliver`). Import the fixtures::

    from tests.mail.oauth_server import dovecot_oauth, oauth_server  # noqa: F401
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.mail.dovecot import CONFIG, HOST, Dovecot, _missing, _prepare, _start
from tests.missing import missing

CLIENT_ID = "helpdesk-client"
CLIENT_SECRET = "s3cret-client"
ACCESS_SECONDS = 3600


@dataclass
class _State:
    codes: dict[str, dict] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)  # token -> user
    refresh: dict[str, str] = field(default_factory=dict)  # token -> user
    approve_as: str = ""
    delay: float = 0.0
    access_seconds: int = ACCESS_SECONDS
    grants: list[str] = field(default_factory=list)  # grant types asked, in order
    authorize_requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class OAuthServer:
    def __init__(self) -> None:
        self.state = _State()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                # The client may have given up first (the slow-token-endpoint test's timeout):
                # that is the point of that test, not a server error worth a traceback.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                return {key: values[0] for key, values in parse_qs(body).items()}

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path != "/authorize":
                    return self._json(404, {"error": "not_found"})
                params = {key: values[0] for key, values in parse_qs(url.query).items()}
                with state.lock:
                    state.authorize_requests.append(params)
                    if params.get("client_id") != CLIENT_ID:
                        return self._json(400, {"error": "unauthorized_client"})
                    code = secrets.token_urlsafe(16)
                    state.codes[code] = {
                        "user": state.approve_as,
                        "redirect_uri": params.get("redirect_uri", ""),
                        "challenge": params.get("code_challenge", ""),
                        "method": params.get("code_challenge_method", ""),
                    }
                back = urlencode({"code": code, "state": params.get("state", "")})
                self.send_response(302)
                self.send_header("Location", f"{params['redirect_uri']}?{back}")
                self.end_headers()

            def do_POST(self):
                path = urlsplit(self.path).path
                form = self._form()
                if path == "/introspect":
                    with state.lock:
                        user = state.access.get(form.get("token", ""))
                    if user is None:
                        return self._json(200, {"active": False})
                    return self._json(200, {"active": True, "username": user})
                if path != "/token":
                    return self._json(404, {"error": "not_found"})
                if state.delay:
                    time.sleep(state.delay)
                if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
                    return self._json(401, {"error": "invalid_client"})
                grant = form.get("grant_type", "")
                with state.lock:
                    state.grants.append(grant)
                    if grant == "authorization_code":
                        issued = state.codes.pop(form.get("code", ""), None)
                        if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                            return self._json(400, {"error": "invalid_grant"})
                        if (
                            issued["challenge"]
                            and _s256(form.get("code_verifier", "")) != (issued["challenge"])
                        ):
                            return self._json(
                                400,
                                {"error": "invalid_grant", "error_description": "PKCE failed"},
                            )
                        user = issued["user"]
                    elif grant == "refresh_token":
                        user = state.refresh.pop(form.get("refresh_token", ""), None)
                        if user is None:
                            return self._json(
                                400,
                                {
                                    "error": "invalid_grant",
                                    "error_description": "The refresh token was revoked.",
                                },
                            )
                    else:
                        return self._json(400, {"error": "unsupported_grant_type"})
                    access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
                    state.access[access] = user
                    state.refresh[refresh] = user
                    seconds = state.access_seconds
                return self._json(
                    200,
                    {
                        "access_token": access,
                        "token_type": "Bearer",
                        "expires_in": seconds,
                        "refresh_token": refresh,
                    },
                )

        self.httpd = ThreadingHTTPServer((HOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.httpd.server_address[1]}"

    def revoke(self, user: str) -> None:
        with self.state.lock:
            for tokens in (self.state.access, self.state.refresh):
                for token in [t for t, u in tokens.items() if u == user]:
                    del tokens[token]

    def issue(self, user: str, *, access_seconds: int | None = None) -> tuple[str, str]:
        """A live (access, refresh) pair for ``user``, as a finished authorization gives."""
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.access[access] = user
            self.state.refresh[refresh] = user
        return access, refresh

    def expire_access_tokens(self) -> None:
        with self.state.lock:
            self.state.access.clear()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# dovecot: XOAUTH2 logins checked by the token server's introspection; PLAIN by the password
# file (for delivering test mail).
OAUTH_CONFIG = CONFIG.replace(
    "auth_mechanisms = plain login",
    "auth_mechanisms = plain login xoauth2",
).replace(
    "passdb {{\n  driver = passwd-file\n",
    "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  args = {dir}/oauth2.conf.ext\n}}\n"
    "passdb {{\n  driver = passwd-file\n  mechanisms = plain login\n",
)
assert "driver = oauth2" in OAUTH_CONFIG

OAUTH2_EXT = """\
introspection_url = {url}/introspect
introspection_mode = post
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
"""


@pytest.fixture(scope="session")
def oauth_server():
    """One token server per test process."""
    server = OAuthServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_oauth_server(oauth_server):
    """The session's token server, reset: no delay, default lifetimes."""
    oauth_server.state.delay = 0.0
    oauth_server.state.access_seconds = ACCESS_SECONDS
    yield oauth_server
    oauth_server.state.delay = 0.0


@pytest.fixture(scope="session")
def dovecot_oauth(oauth_server):
    """A dovecot whose XOAUTH2 logins are checked by ``oauth_server``."""
    reason = _missing()
    if reason:
        missing(reason)
    directory = Path(tempfile.mkdtemp(prefix="otrs-dovecot-oauth-"))
    try:
        _prepare(directory)
        ext = directory / "oauth2.conf.ext"
        ext.write_text(OAUTH2_EXT.format(url=oauth_server.url))
        ext.chmod(0o644)
        server: Dovecot = _start(directory, OAUTH_CONFIG)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop()
