"""The web stack of deploy/ for tests: gunicorn started with deploy/gunicorn.conf.py on the
test database, and Debian's nginx in front of it with the proxy settings of
deploy/nginx/otrs.conf, both from a temporary directory on ports that were free a moment
before, both stopped at the end.

A machine without nginx skips these tests, saying why; under ``make test`` (which installs
nginx) that is a failure instead (``tests/missing.py``).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from tests.missing import missing

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 30.0
# The kernel sends the server SIGTERM when this test process ends, even by SIGKILL.
_DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []

NGINX_CONFIG = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;

    upstream otrs_web {{
        server {host}:{gunicorn_port};
    }}
{servers}
}}
"""

SERVER = """
    server {{
        listen {host}:{port};
        server_name localhost;
{location}
    }}
"""


def shipped_location(*, behind_load_balancer: bool = False) -> str:
    """The ``location /`` block of deploy/nginx/otrs.conf, as shipped; or with the change its
    comment asks for when a load balancer stands in front of nginx."""
    text = (REPO / "deploy" / "nginx" / "otrs.conf").read_text()
    blocks = [
        match.group(0)
        for match in re.finditer(r"^    location / \{\n.*?^    \}\n", text, re.M | re.S)
        if "proxy_pass" in match.group(0)
    ]
    assert len(blocks) == 1, "deploy/nginx/otrs.conf: no one 'location /' that proxies"
    block = blocks[0]
    if behind_load_balancer:
        shipped = "proxy_set_header X-Forwarded-For $remote_addr;"
        assert shipped in block
        block = block.replace(
            shipped, "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"
        )
    return block


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


def require_nginx() -> str:
    binary = nginx_binary()
    if binary is None:
        missing("nginx is not installed (apt-get install nginx)")
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The URL of the test database for DATABASE_URL (as the settings read it)."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{os.path.abspath(settings_dict['NAME'])}"
    scheme = "postgres" if engine.endswith("postgresql") else "mysql"
    user = urllib.parse.quote(settings_dict.get("USER") or "", safe="")
    password = urllib.parse.quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    return f"{scheme}://{credentials}{host}{port}/{settings_dict['NAME']}"


def _wait_for(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    output = log.read_text(errors="replace") if log.exists() else ""
    raise RuntimeError(f"{what} did not start (exit {process.poll()}):\n{output[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class WebStack:
    directory: Path
    gunicorn_port: int
    nginx_ports: dict[str, int]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def logs(self) -> str:
        parts = []
        for name in ("gunicorn.log", "error.log", "access.log"):
            path = self.directory / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


@contextlib.contextmanager
def web_stack(
    directory: Path, *, database: dict, environment: dict[str, str]
) -> Iterator[WebStack]:
    """gunicorn on the test database behind nginx; nginx serves the shipped proxy block on
    ``nginx_ports["direct"]`` (nginx faces the clients) and the load-balancer variant on
    ``nginx_ports["behind_balancer"]``."""
    nginx = require_nginx()
    stack = WebStack(
        directory=directory,
        gunicorn_port=free_port(),
        nginx_ports={"direct": free_port(), "behind_balancer": free_port()},
    )
    # nginx's workers run as an unprivileged user when started by root.
    directory.chmod(0o755)
    (directory / "tmp").mkdir(mode=0o777)
    (directory / "tmp").chmod(0o777)
    (directory / "var").mkdir()
    try:
        gunicorn_log = directory / "gunicorn.log"
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)},
            "DATABASE_URL": database_url(database),
            "OTRS_VAR_DIR": str(directory / "var"),
            "GUNICORN_BIND": f"{HOST}:{stack.gunicorn_port}",
            "GUNICORN_WORKERS": "2",
            "DEBUG": "false",
            "SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-django-checks",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            **environment,
        }
        with gunicorn_log.open("wb") as output:
            stack.processes.append(
                subprocess.Popen(
                    [
                        *_DIE_WITH_PARENT,
                        str(Path(sys.executable).parent / "gunicorn"),
                        "--config",
                        str(REPO / "deploy" / "gunicorn.conf.py"),
                    ],
                    cwd=REPO,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_for(stack.gunicorn_port, stack.processes[-1], gunicorn_log, "gunicorn")

        servers = SERVER.format(
            host=HOST, port=stack.nginx_ports["direct"], location=shipped_location()
        ) + SERVER.format(
            host=HOST,
            port=stack.nginx_ports["behind_balancer"],
            location=shipped_location(behind_load_balancer=True),
        )
        config = directory / "nginx.conf"
        config.write_text(
            NGINX_CONFIG.format(
                dir=directory, host=HOST, gunicorn_port=stack.gunicorn_port, servers=servers
            )
        )
        with (directory / "error.log").open("ab") as output:
            stack.processes.append(
                subprocess.Popen(
                    [*_DIE_WITH_PARENT, nginx, "-c", str(config), "-p", str(directory)],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
        for port in stack.nginx_ports.values():
            _wait_for(port, stack.processes[-1], directory / "error.log", "nginx")
        yield stack
    finally:
        for process in reversed(stack.processes):
            _stop(process)


class Browser:
    """A client that connects from a chosen loopback address (Linux answers on all of
    127.0.0.0/8), keeps its cookies and sends Django's CSRF token with its forms."""

    def __init__(self, port: int, source: str = HOST, headers: dict[str, str] | None = None):
        self.port = port
        self.source = source
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        connection = http.client.HTTPConnection(
            HOST, self.port, timeout=30, source_address=(self.source, 0)
        )
        headers = {**self.headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(
                {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            )
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, text

    def sign_in(self, path: str, username: str, password: str):
        """The sign-in page, then its form: (status, location, page)."""
        status, _headers, _page = self.request("GET", path)
        assert status == 200, f"GET {path}: {status}"
        status, headers, page = self.request(
            "POST", path, {"username": username, "password": password}
        )
        return status, headers.get("Location", ""), page
