"""The shipped deployment files are valid for the tools that load them: the systemd units
for ``systemd-analyze verify``, the nginx site for ``nginx -t`` (with a throw-away
certificate in place of the one it names). tests/deploy/test_proxy_throttling.py runs nginx
in front of gunicorn."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.deploy.servers import require_nginx
from tests.missing import missing

REPO = Path(__file__).resolve().parents[2]
UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))


def test_the_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        missing("systemd-analyze is not installed (apt-get install systemd)")
    assert {unit.name for unit in UNITS} >= {
        "otrs-web.service",
        "otrs-worker.service",
        "otrs-beat.service",
    }
    venv = REPO / ".venv"
    for unit in UNITS:
        # The paths of an installation (deploy/README.md) pointed at this checkout, so that
        # verify finds the programs the units start.
        text = unit.read_text().replace("/opt/otrs-django/venv", str(venv.resolve()))
        (tmp_path / unit.name).write_text(text.replace("/opt/otrs-django/app", str(REPO)))
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / unit.name) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Unknown keys and bad values are warnings with exit 0: none is allowed either.
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert problems == []


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = require_nginx()
    openssl = shutil.which("openssl")
    if openssl is None:
        missing("openssl is not installed")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=helpdesk.example.com", "-keyout", str(tmp_path / "key.pem"), "-out",
         str(tmp_path / "cert.pem")],
        capture_output=True,
        check=True,
        timeout=60,
    )  # fmt: skip
    site = (REPO / "deploy" / "nginx" / "otrs.conf").read_text()
    certificates = "/etc/letsencrypt/live/helpdesk.example.com/"
    assert certificates + "fullchain.pem" in site
    site = site.replace(certificates + "fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace(certificates + "privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "otrs.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {tmp_path}/access.log;\n"
        f"  include {tmp_path}/otrs.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
