"""``otrs-postmaster``, the fast MTA pipe: a real process writes the mail into the spool, the
daemon's spool intake (:func:`otrs.mail.spool.drain`) turns it into a ticket."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from django_celery_beat.models import PeriodicTask

from otrs.mail import pipe as otrs_postmaster
from otrs.mail import spool
from otrs.mail.tasks import drain_mail_spool
from tests import factories
from tickets.models import InboundMessage, InboundSource, Priority, SystemAddress, Ticket

BASE_DIR = Path(__file__).resolve().parents[2]
ENTRY = "otrs.mail.pipe:main"
WRAPPER = "import sys; from otrs.mail.pipe import main; sys.exit(main())"


def postmaster_command() -> list[str]:
    """The very call pip's console-script wrapper makes for ``otrs-postmaster``
    (``from otrs.mail.pipe import main; sys.exit(main())``), run in this checkout: the
    installed script of a shared editable venv may point at another work tree's code."""
    return [sys.executable, "-c", WRAPPER]


def run_postmaster(raw: bytes, *args: str, spool_dir: Path | str, **env: str):
    return subprocess.run(
        [*postmaster_command(), *args],
        input=raw,
        cwd=BASE_DIR,
        env={**os.environ, "MAIL_SPOOL_DIR": str(spool_dir), **env},
        capture_output=True,
        timeout=30,
    )


def mail(subject="Printer broken", *, headers="", body="It does not print.") -> bytes:
    return (
        f"From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash((subject, headers, body)))}@example.com>\r\n{headers}"
        "Date: Mon, 02 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.fixture
def support_address(support):
    return SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )


def spooled(directory: Path) -> list[Path]:
    return sorted((directory / "new").iterdir()) if (directory / "new").is_dir() else []


# --- the script -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_piped_mail_is_spooled_then_becomes_a_ticket(support_address, tmp_path):
    raw = mail(body="Grüße, it still does not print.")
    done = run_postmaster(raw, spool_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert done.stdout == b""
    [file] = spooled(tmp_path)
    options, stored_raw = otrs_postmaster.read_spool(file)
    assert stored_raw == raw  # byte for byte
    assert options == {"queue": None, "trusted": True, "source": "pipe"}
    assert not list((tmp_path / "tmp").iterdir())

    result = spool.drain(tmp_path)

    assert (result.stored, result.retried, result.failed) == (1, 0, 0)
    ticket = Ticket.objects.get()
    assert ticket.title == "Printer broken"
    assert ticket.queue == support_address.queue
    inbound = InboundMessage.objects.get()
    assert inbound.source == InboundSource.PIPE
    assert inbound.ticket == ticket
    assert spooled(tmp_path) == [] and not list((tmp_path / "cur").iterdir())


@pytest.mark.django_db
def test_queue_and_untrusted_options_travel_with_the_message(support_address, tmp_path):
    raw = mail(headers="X-OTRS-Priority: 5 very high\r\n")
    done = run_postmaster(raw, "--queue", "Misc", "--untrusted", spool_dir=tmp_path)
    assert done.returncode == 0, done.stderr

    spool.drain(tmp_path)

    ticket = Ticket.objects.get()
    assert ticket.queue.full_name == "Misc"
    # Untrusted: the X-OTRS-Priority header of the mail was ignored.
    assert ticket.priority != Priority.objects.filter(level=5).first()
    assert InboundMessage.objects.get().trusted is False


def test_exit_75_when_the_spool_cannot_be_written(tmp_path):
    """Tests run as root, which writes into any read-only directory: a spool path under a
    regular file fails for root too (ENOTDIR)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = run_postmaster(mail(), spool_dir=blocker / "spool")
    assert done.returncode == otrs_postmaster.EX_TEMPFAIL == 75
    assert b"try again later" in done.stderr


def test_exit_75_when_the_disk_is_full(tmp_path):
    """A spool on a full file system (a tiny tmpfs): the half-written file is removed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        done = run_postmaster(mail(body="x" * 200_000), spool_dir=mount / "spool")
        assert done.returncode == 75, done.stderr
        assert b"try again later" in done.stderr
        assert not list((mount / "spool" / "tmp").iterdir())
        assert not list((mount / "spool" / "new").iterdir())
        small = run_postmaster(mail(), spool_dir=mount / "spool")
        assert small.returncode == 0, small.stderr
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_empty_input_is_refused_like_manage_py_postmaster(tmp_path):
    done = run_postmaster(b"  \r\n", spool_dir=tmp_path)
    assert done.returncode == 1
    assert b"no message" in done.stderr
    assert spooled(tmp_path) == []


def test_the_script_imports_neither_django_nor_celery():
    # What the console script runs, in a fresh interpreter: the otrs package and otrs.mail
    # above the pipe must not load the Celery app, Django or anything of ours.
    code = (
        "import sys, otrs.mail.pipe; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'celery', 'kombu', 'otrs', 'tickets', 'environ', 'json', 'argparse'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True, timeout=30, check=True
    )
    assert done.stdout.strip() == b"['otrs', 'otrs.mail', 'otrs.mail.pipe']"


def test_importtime_shows_no_django_or_celery():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import otrs.mail.pipe"],
        cwd=BASE_DIR,
        capture_output=True,
        timeout=30,
        check=True,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines()]
    assert "otrs.mail.pipe" in imported
    assert not [m for m in imported if m.split(".")[0] in ("django", "celery", "kombu")]


def test_the_celery_app_is_still_there_for_django_and_celery_dash_a():
    # Lazy, not gone: ``celery -A otrs`` and ``otrs.celery_app`` find it, and Django's start
    # (the daemon app's ready()) has loaded it so tasks bind to it.
    assert "otrs.celery" in sys.modules  # loaded by Django's start, before this import
    # Imported here: the test is about what importing them finds.
    import otrs
    from otrs.celery import app

    assert otrs.celery_app is app


def test_the_console_script_is_declared():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["otrs-postmaster"] == ENTRY
    assert not (BASE_DIR / "otrs_postmaster.py").exists()


def test_the_spool_location_is_read_without_django(tmp_path):
    base = tmp_path / "install"
    base.mkdir()

    def where(environ: dict[str, str]) -> Path:
        return Path(otrs_postmaster.spool_dir(environ, str(base)))

    # An installed package (no manage.py: site-packages) never writes beside the code.
    assert where({}) == Path(otrs_postmaster.INSTALLED_SPOOL_DIR)
    assert where({}) == Path("/var/lib/otrs-django/spool/mail")
    (base / "manage.py").write_text("")
    assert where({}) == base / "var" / "spool" / "mail"
    assert where({"OTRS_VAR_DIR": "/var/lib/otrs"}) == Path("/var/lib/otrs/spool/mail")
    (base / ".env").write_text('# site\nexport OTRS_VAR_DIR="/srv/otrs/var"\n')
    assert where({}) == Path("/srv/otrs/var/spool/mail")
    (base / ".env").write_text("OTRS_VAR_DIR=/srv/otrs/var\nMAIL_SPOOL_DIR='/srv/spool'\n")
    assert where({}) == Path("/srv/spool")
    assert where({"MAIL_SPOOL_DIR": "/elsewhere"}) == Path("/elsewhere")


def test_the_django_setting_and_the_script_agree(settings):
    assert Path(settings.MAIL_SPOOL_DIR).resolve() == Path(otrs_postmaster.spool_dir()).resolve()


# --- the spool intake ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_queue_is_retried_then_moved_aside_never_lost(support_address, tmp_path):
    done = run_postmaster(mail(), "--queue", "Later", spool_dir=tmp_path)
    assert done.returncode == 0, done.stderr

    first = spool.drain(tmp_path, max_attempts=2)
    assert (first.stored, first.retried, first.failed) == (0, 1, 0)
    [waiting] = spooled(tmp_path)
    assert waiting.name.endswith(",a=1")
    assert waiting.stat().st_mtime > time.time()  # backed off: not due yet
    assert spool.drain(tmp_path, max_attempts=2).retried == 0  # nothing due

    os.utime(waiting, (time.time() - 1, time.time() - 1))
    second = spool.drain(tmp_path, max_attempts=2)
    assert second.failed == 1
    [failed] = spool.failed_messages(tmp_path)
    assert "no queue named 'Later'" in failed.error
    assert otrs_postmaster.read_spool(failed.path)[1] == mail()
    assert not InboundMessage.objects.exists()

    factories.queue("Later")
    assert spool.requeue_failed(tmp_path) == 1
    assert spool.drain(tmp_path).stored == 1
    assert Ticket.objects.get().queue.full_name == "Later"
    assert list(spool.failed_messages(tmp_path)) == []


@pytest.mark.django_db
def test_a_file_that_is_no_spool_file_is_moved_aside_at_once(db, tmp_path):
    (tmp_path / "new").mkdir(parents=True)
    (tmp_path / "new" / "stray,a=0").write_bytes(b"From: x\r\n\r\nnot spooled by us")
    result = spool.drain(tmp_path)
    assert result.failed == 1
    [failed] = spool.failed_messages(tmp_path)
    assert failed.path.read_bytes().endswith(b"not spooled by us")


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_daemon_is_taken_back(support_address, tmp_path):
    run_postmaster(mail(), spool_dir=tmp_path)
    [file] = spooled(tmp_path)
    claimed = tmp_path / "cur" / file.name
    os.rename(file, claimed)  # a daemon claimed it, then died
    assert spool.drain(tmp_path).stored == 0  # a fresh claim is left alone
    old = time.time() - spool.STALE_CLAIM_SECONDS - 5
    os.utime(claimed, (old, old))
    assert spool.drain(tmp_path).stored == 1
    assert Ticket.objects.count() == 1


def _drain(directory: str) -> int:
    total = 0
    for _ in range(20):
        total += spool.drain(Path(directory), limit=3).stored
    return total


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_daemons_draining_at_once_store_each_message_once(tmp_path, run_in_processes):
    for i in range(24):
        assert run_postmaster(mail(f"Mail {i}"), spool_dir=tmp_path).returncode == 0

    stored = run_in_processes(_drain, [(str(tmp_path),), (str(tmp_path),)])

    assert sum(stored) == 24
    assert InboundMessage.objects.count() == 24
    assert sorted(Ticket.objects.values_list("title", flat=True)) == sorted(
        f"Mail {i}" for i in range(24)
    )


@pytest.mark.django_db
def test_the_inbound_admin_warns_about_spooled_mail_moved_aside(admin_client, tmp_path, settings):
    settings.MAIL_SPOOL_DIR = tmp_path
    assert run_postmaster(mail(), "--queue", "Nowhere", spool_dir=tmp_path).returncode == 0
    page = admin_client.get("/admin/tickets/inboundmessage/")
    assert b"could not be stored" not in page.content
    spool.drain(tmp_path, max_attempts=1)

    page = admin_client.get("/admin/tickets/inboundmessage/")

    assert page.status_code == 200
    assert b"1 message from the mail server could not be stored" in page.content
    assert str(tmp_path / "failed").encode() in page.content


@pytest.mark.django_db
def test_the_daemon_drains_the_spool_every_five_seconds(support_address, tmp_path, settings):
    task = PeriodicTask.objects.get(name="Mail spool intake")
    assert task.task == "otrs.mail.tasks.drain_mail_spool"
    assert (task.interval.every, task.interval.period) == (5, "seconds")
    settings.MAIL_SPOOL_DIR = tmp_path
    assert run_postmaster(mail(), spool_dir=tmp_path).returncode == 0

    assert drain_mail_spool.delay().get() == {"stored": 1, "retried": 0, "failed": 0}
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "queue", [None, "", "Misc", 'Sales::EMEA "Q" \\ \n\t ü 漢 \x00', "bad \udcff byte"]
)
def test_the_spool_header_is_json_whatever_the_queue_name(queue, tmp_path):
    options = otrs_postmaster.spool_options(queue=queue, trusted=False, source="pipe")
    path, size = otrs_postmaster.write_spool(tmp_path, [b"From: a\r\n", b"\r\nbody"], options)
    assert size == len(b"From: a\r\n\r\nbody")
    assert otrs_postmaster.read_spool(path) == (
        options | {"queue": queue or None},
        b"From: a\r\n\r\nbody",
    )
