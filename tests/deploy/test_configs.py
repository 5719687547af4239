"""The shipped deployment files are valid for the tools that load them: the systemd units
for ``systemd-analyze verify``, the nginx site for ``nginx -t`` and the Apache site for
``apache2 -t`` (what ``apache2ctl configtest`` runs), each with a throw-away certificate in
place of the one it names. tests/deploy/test_proxy_throttling.py runs nginx in front of
gunicorn."""

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


def site_with_test_certificate(tmp_path, server: str) -> Path:
    """``deploy/<server>/otrs.conf`` in ``tmp_path`` with a new self-signed certificate in
    place of Let's Encrypt's."""
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
    site = (REPO / "deploy" / server / "otrs.conf").read_text()
    certificates = "/etc/letsencrypt/live/helpdesk.example.com/"
    assert certificates + "fullchain.pem" in site
    site = site.replace(certificates + "fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace(certificates + "privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "otrs.conf").write_text(site)
    return tmp_path / "otrs.conf"


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = require_nginx()
    site_with_test_certificate(tmp_path, "nginx")
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


# The modules deploy/README.md tells to enable (a2enmod ssl proxy proxy_http headers http2)
# and the ones Debian's apache2 enables by itself that the site uses (Require, Alias).
APACHE_MODULES = {
    "mpm_event": "mod_mpm_event.so",
    "authz_core": "mod_authz_core.so",
    "alias": "mod_alias.so",
    "ssl": "mod_ssl.so",
    "proxy": "mod_proxy.so",
    "proxy_http": "mod_proxy_http.so",
    "headers": "mod_headers.so",
    "http2": "mod_http2.so",
}
APACHE_MODULE_DIR = Path("/usr/lib/apache2/modules")


def apache_check(tmp_path, modules: dict[str, str]) -> subprocess.CompletedProcess:
    apache = shutil.which("apache2") or shutil.which("apache2", path="/usr/sbin")
    if apache is None or not APACHE_MODULE_DIR.is_dir():
        missing("Apache httpd is not installed (apt-get install apache2-bin)")
    site = site_with_test_certificate(tmp_path, "apache")
    loads = "".join(
        f"LoadModule {name}_module {APACHE_MODULE_DIR / file}\n" for name, file in modules.items()
    )
    (tmp_path / "httpd.conf").write_text(
        f"ServerRoot {tmp_path}\nServerName localhost\nPidFile {tmp_path}/httpd.pid\n"
        f"ErrorLog {tmp_path}/error.log\n{loads}Include {site}\n"
    )
    return subprocess.run(
        [apache, "-t", "-f", str(tmp_path / "httpd.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_apache_site_passes_the_configtest_with_the_modules_the_guide_enables(tmp_path):
    guide = (REPO / "deploy" / "README.md").read_text()
    assert "a2enmod ssl proxy proxy_http headers http2" in guide
    done = apache_check(tmp_path, APACHE_MODULES)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "Syntax OK"  # no warning either


def test_the_apache_configtest_fails_without_a_module_the_site_needs(tmp_path):
    # The check can fail: without mod_headers the site's Header lines are unknown.
    modules = {name: file for name, file in APACHE_MODULES.items() if name != "headers"}
    done = apache_check(tmp_path, modules)
    assert done.returncode != 0 and "Header" in done.stderr
