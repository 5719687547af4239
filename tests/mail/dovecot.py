"""A real dovecot for the mail fetching tests (the recipe in the steering repository's
TESTING.md): IMAP, IMAPS, POP3 and POP3S on loopback, from a config in a temporary directory.

Use it by importing the fixtures into a test module::

    from tests.mail.dovecot import dovecot, mailbox  # noqa: F401 - fixtures

``dovecot`` is session-scoped: each pytest process (so each pytest-xdist worker) starts one
server of its own, in its own directory, on ports that were free a moment before; it is
stopped at the end of the session. ``mailbox`` hands each test a fresh, empty account.

A machine without dovecot skips these tests, saying why; under ``make test`` (which installs
dovecot) that is a failure instead (``tests/missing.py``).
"""

from __future__ import annotations

import contextlib
import imaplib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.missing import missing

HOST = "127.0.0.1"
# The accounts of the password file, made at the start: dovecot does not reliably notice a
# password file that grows while it runs, so every test takes a new one from this pool.
POOL_SIZE = 300
MAIL_UID = 8  # the Debian "mail" user the mailboxes belong to (userdb static, uid=mail)
START_TIMEOUT = 15.0
# The kernel sends dovecot SIGTERM when this test process ends, even by SIGKILL or a timeout,
# so no server outlives its test run (util-linux's setpriv sets the parent-death signal).
_DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap pop3
listen = {host}
ssl = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# Any character in a login (the default refuses a space).
auth_username_chars =
# A refused login answers at once (default: after 2 seconds).
auth_failure_delay = 0
first_valid_uid = 8
first_valid_gid = 8
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = {host}
    port = {pop3}
  }}
  inet_listener pop3s {{
    address = {host}
    port = {pop3s}
  }}
}}
"""


@dataclass(frozen=True)
class Stored:
    """A message as the server holds it."""

    uid: int
    flags: tuple[str, ...]
    raw: bytes


@dataclass
class Mailbox:
    """One account on the test server."""

    server: Dovecot
    login: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(HOST, self.server.ports["imap"], timeout=10)
        # SASL PLAIN: UTF-8 and any character in the login, unlike LOGIN.
        credentials = f"\0{self.login}\0{self.password}".encode()
        conn.authenticate("PLAIN", lambda _challenge: credentials)
        return conn

    def deliver(self, raw: bytes, *, folder: str = "INBOX", flags: str = "") -> None:
        """Put ``raw`` into ``folder`` (an IMAP name, already encoded) with IMAP APPEND."""
        conn = self.connect()
        try:
            typ, data = conn.append(folder, f"({flags})" if flags else None, None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def create_folder(self, name: str) -> None:
        conn = self.connect()
        try:
            typ, data = conn.create(name)
            assert typ == "OK", data
        finally:
            conn.logout()

    def messages(self, folder: str = "INBOX") -> list[Stored]:
        """Every message in ``folder``, read without changing a flag (expunged ones are gone;
        ones flagged \\Deleted but not expunged are still listed, with that flag)."""
        conn = self.connect()
        try:
            typ, data = conn.select(folder, readonly=True)
            assert typ == "OK", data
            typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
            assert typ == "OK", data
        finally:
            conn.logout()
        found = []
        for part in data:
            if not isinstance(part, tuple):
                continue
            head = part[0].decode()
            uid = int(head.split("UID ", 1)[1].split()[0].rstrip(")"))
            flags = tuple(flag.decode() for flag in imaplib.ParseFlags(part[0]))
            found.append(Stored(uid=uid, flags=flags, raw=part[1]))
        return sorted(found, key=lambda stored: stored.uid)


@dataclass
class Dovecot:
    directory: Path
    ports: dict[str, int]
    process: subprocess.Popen
    _pool: itertools.count = field(default_factory=lambda: itertools.count(1))

    host = HOST

    @property
    def certificate(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def mailbox(self, kind: str = "plain") -> Mailbox:
        """A new, empty account of the pool. ``kind``: "plain", "quoting" (a login and a
        password that IMAP must quote) or "utf8" (a password beyond ASCII)."""
        number = next(self._pool)
        while _kind(number) != kind:
            number = next(self._pool)
        if number > POOL_SIZE:
            pytest.fail(f"tests/mail/dovecot.py: more than POOL_SIZE={POOL_SIZE} mailboxes used")
        return Mailbox(self, *_pool_account(number))

    def stop(self, *, keep_directory: bool = False) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not keep_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _kind(number: int) -> str:
    return {0: "quoting", 5: "utf8"}.get(number % 10, "plain")


def _pool_account(number: int) -> tuple[str, str]:
    kind = _kind(number)
    if kind == "quoting":
        # Spaces in the login; quotes, spaces and a backslash in the password. (A Windows
        # domain login, DOMAIN\user, needs quoting too, but dovecot's password file cannot
        # match a login with a backslash.)
        return f"help desk {number:03d}", f'se"cret {number:03d} \\ x'
    if kind == "utf8":
        return f"box{number:03d}@example.test", f"Pässwörd {number:03d}"
    return f"box{number:03d}@example.test", f"secret-{number:03d}"


def _missing() -> str | None:
    """Why dovecot cannot run here, or None."""
    if shutil.which("dovecot") is None:
        return "dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d"
    if shutil.which("openssl") is None:
        return "openssl is not installed: apt-get install openssl"
    if os.geteuid() != 0:
        return "the dovecot tests run as root (dovecot switches to the mail user)"
    return None


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def _prepare(directory: Path) -> None:
    # The mail and login processes (users mail, dovecot, dovenull) must reach into it.
    directory.chmod(0o755)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=IP:{HOST}",
            "-keyout",
            str(directory / "key.pem"),
            "-out",
            str(directory / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    passwd = directory / "passwd"
    passwd.write_text(
        "".join(
            "{}:{{PLAIN}}{}\n".format(*_pool_account(number)) for number in range(1, POOL_SIZE + 1)
        ),
        encoding="utf-8",
    )
    shutil.chown(passwd, group="dovecot")
    passwd.chmod(0o640)
    mail = directory / "mail"
    mail.mkdir()
    os.chown(mail, MAIL_UID, MAIL_UID)


def _start(directory: Path, template: str = CONFIG, **values: object) -> Dovecot:
    """Start dovecot in the foreground (our child) on free ports; try again on new ones if
    another process took one meanwhile. ``template`` and ``values``: another configuration
    (tests/mail/oauth_server.py's, with an OAuth2 password database)."""
    problems = []
    for _attempt in range(3):
        ports = dict(zip(("imap", "imaps", "pop3", "pop3s"), _free_ports(4), strict=True))
        config = directory / "dovecot.conf"
        config.write_text(template.format(dir=directory, host=HOST, **ports, **values))
        with (directory / "start.log").open("ab") as output:
            process = subprocess.Popen(
                [*_DIE_WITH_PARENT, "dovecot", "-F", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Dovecot(directory=directory, ports=ports, process=process)
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if all(_listening(port) for port in ports.values()):
                return server
            time.sleep(0.1)
        server.stop(keep_directory=True)
        output = (directory / "start.log").read_text(errors="replace")
        problems.append(f"exit {process.returncode}: {output[-2000:]} {server.log[-2000:]}")
    raise RuntimeError("dovecot did not start:\n" + "\n".join(problems))


@pytest.fixture(scope="session")
def dovecot():
    """One dovecot per test process, stopped at the end of the session."""
    reason = _missing()
    if reason:
        missing(reason)
    # Not under pytest's tmp_path: its directories are private to root, and dovecot's mail
    # processes run as the mail user.
    directory = Path(tempfile.mkdtemp(prefix="otrs-dovecot-"))
    try:
        _prepare(directory)
        server = _start(directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mailbox(dovecot):
    """A fresh, empty account on the test server."""
    return dovecot.mailbox()
