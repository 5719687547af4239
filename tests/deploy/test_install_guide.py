"""The install guide (deploy/README.md, "1. Install on one host") walked as a newcomer
follows it, read from the README itself: each command of its shell blocks runs, in order,
with the installation's paths moved into a temporary directory and SQLite for the database.
A command the guide names that fails here, a file it copies that is missing, a step this
test does not know: each fails the test, so the guide and the release cannot drift apart.

What cannot run on a test machine is checked instead of run, and says so: the Debian
packages of ``apt install`` must exist (``apt-cache show``); PostgreSQL's ``createuser`` and
``createdb`` and ``useradd`` are left out (SQLite, the current user); ``systemctl`` is left out
(``tests/deploy/test_configs.py`` verifies the units; here the web unit's gunicorn command
is started and answers). The virtualenv reuses this checkout's installed packages (a ``.pth``
file) instead of downloading them again; ``pip install -r`` then checks the lock file
against them.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from tests.deploy.servers import _DIE_WITH_PARENT, _stop, _wait_for, free_port
from tests.missing import missing

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "deploy" / "README.md"
PATHS = {
    "/opt/otrs-django/app": "app",
    "/opt/otrs-django/venv": "venv",
    "/etc/otrs-django": "etc",
    "/var/lib/otrs-django": "var",
}


def guide_commands() -> list[str]:
    """The shell commands of the guide's install section, in order, one per entry (lines
    continued with a backslash joined, comments dropped)."""
    text = GUIDE.read_text()
    section = text[text.index("## 1. Install on one host") : text.index("### Check that the")]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_the_guide_has_the_steps_this_test_walks():
    commands = guide_commands()
    assert any(c.startswith("python3 -m venv") for c in commands)
    assert "manage migrate" in commands and "manage createsuperuser" in commands


@pytest.mark.own_sqlite
def test_a_newcomer_following_the_install_guide_gets_a_running_help_desk(tmp_path):
    if shutil.which("git") is None:
        missing("git is not installed")
    root = tmp_path
    # "Unpack (or git clone) the release into /opt/otrs-django/app": this commit.
    subprocess.run(["git", "clone", "-q", str(REPO), str(root / "app")], check=True, timeout=120)
    # The same lock files and README as the working tree (the test may run before a commit).
    for name in ("requirements", "deploy"):
        shutil.rmtree(root / "app" / name)
        shutil.copytree(REPO / name, root / "app" / name)

    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(root),
        "LANG": "C.UTF-8",
        "DJANGO_SUPERUSER_PASSWORD": "Guide-Admin-2026!",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    script = ["set -euo pipefail"]
    walked = []
    for command in guide_commands():
        line = command
        for old, new in PATHS.items():
            line = line.replace(old, str(root / new))
        words = shlex.split(line)
        if words[:2] == ["apt", "install"]:
            packages = [w for w in words[2:] if not w.startswith("-")]
            for package in packages:
                if shutil.which("apt-cache"):
                    shown = subprocess.run(
                        ["apt-cache", "show", package], capture_output=True, timeout=60
                    )
                    assert shown.returncode == 0, f"the guide installs {package}, unknown to apt"
            continue
        if words[:3] == ["sudo", "-u", "postgres"] or words[0] in ("useradd", "systemctl"):
            continue  # PostgreSQL, the service user and systemd: see the module's docstring
        if words[0] == "editor":
            script.append(f"python3 {shlex.quote(str(root / 'edit_env.py'))} {words[1]}")
        elif words[:3] == ["python3", "-m", "venv"]:
            # The packages of this checkout instead of a download (see the docstring).
            shared = sysconfig.get_paths()["purelib"]
            venv_lib = f"{words[3]}/lib/python{sys.version_info[0]}.{sys.version_info[1]}"
            script += [
                line,
                f"echo {shlex.quote(shared)} > {venv_lib}/site-packages/shared-checkout.pth",
            ]
        elif words[0] == "cp" and words[-1].startswith("/etc/"):
            # Files copied into the system: they must exist in the release.
            for source in words[1:-1]:
                assert (root / "app" / source).is_file(), f"the guide copies a missing {source}"
            continue
        elif words[0] == "install":
            # No service user here: the owner and group options go.
            kept, skip = [], False
            for word in words:
                if skip:
                    skip = False
                elif word in ("-o", "-g"):
                    skip = True
                else:
                    kept.append(word)
            script.append(shlex.join(kept))
        elif line.startswith("manage()"):
            script.append(line.replace("sudo -u otrs-django ", ""))
        elif words == ["manage", "createsuperuser"]:
            script.append(line + " --noinput --username guide-admin --email admin@example.com")
        elif words[0] in ("cd", "ln", "manage") or words[0].endswith("/bin/pip"):
            script.append(line)
        else:
            pytest.fail(f"the install guide has a step this test does not walk: {command}")
        walked.append(command)

    # "fill in at least SECRET_KEY, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, DATABASE_URL and
    # CELERY_BROKER_URL" (the host names of env.example stay; the broker is not reached).
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{root / 'var' / 'otrs.sqlite3'}",
        "OTRS_VAR_DIR": str(root / "var"),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    (root / "edit_env.py").write_text(
        "import re, sys\n"
        "path = sys.argv[1]\n"
        "text = open(path).read()\n"
        f"for name, value in {values!r}.items():\n"
        "    text, count = re.subn(rf'^{name}=.*$', f'{name}={value}', text, flags=re.M)\n"
        "    assert count == 1, name\n"
        "open(path, 'w').write(text)\n"
    )
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert any(c.startswith("manage collectstatic") for c in walked)

    # What the steps left: the settings file linked as .env, the tables, the static files,
    # the first admin.
    assert (root / "app" / ".env").resolve() == root / "etc" / "env"
    assert (root / "var" / "static" / "admin" / "css" / "base.css").is_file()
    python = str(root / "venv" / "bin" / "python")
    admins = subprocess.run(
        [python, "manage.py", "shell", "-c",
         "from django.contrib.auth import get_user_model as g;"
         "print(g().objects.filter(is_superuser=True).values_list('username', flat=True)[0])"],
        cwd=root / "app", env=environment, capture_output=True, text=True, timeout=300,
        check=True,
    )  # fmt: skip
    assert admins.stdout.strip().splitlines()[-1] == "guide-admin"

    # The web unit's command (deploy/systemd/otrs-web.service) serves the application.
    unit = (REPO / "deploy" / "systemd" / "otrs-web.service").read_text()
    start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    for old, new in PATHS.items():
        start = start.replace(old, str(root / new))
    # The shared packages bring no scripts into the new venv/bin: the same program by module.
    gunicorn = str(root / "venv" / "bin" / "gunicorn")
    assert start.startswith(gunicorn + " ")
    start = start.replace(gunicorn, f"{python} -m gunicorn", 1)
    port = free_port()
    log = root / "gunicorn.log"
    with log.open("wb") as output:
        web = subprocess.Popen(
            [*_DIE_WITH_PARENT, *shlex.split(start)],
            cwd=root / "app",
            env={**environment, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(port, web, log, "gunicorn")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/admin/login/",
            headers={"Host": "helpdesk.example.com", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            assert response.status == 200
            assert b'name="username"' in response.read()
    finally:
        _stop(web)
