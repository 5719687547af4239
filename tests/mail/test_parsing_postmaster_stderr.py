"""``manage.py postmaster`` prints nothing on stderr for a good mail (issue 10: every pipe run
printed kombu's "No hostname was supplied. Reverting to default 'localhost'", from the
embedded ``filesystem://`` broker URL having no host). A real process on a real, migrated
SQLite database in a temporary folder, with the default broker (the SQLite suite only: the
other suites would repeat the same run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
MAIL = (
    b"From: Alice <alice@example.com>\r\nTo: support@example.com\r\n"
    b"Subject: stderr stays empty\r\nMessage-ID: <stderr-1@example.com>\r\n\r\nHello.\r\n"
)


@pytest.mark.own_sqlite
def test_postmaster_pipe_run_is_silent_on_stderr(tmp_path, migrated_sqlite):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["OTRS_VAR_DIR"] = str(tmp_path)
    migrated_sqlite(tmp_path)
    done = subprocess.run(
        [sys.executable, "manage.py", "postmaster"],
        input=MAIL,
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"new_ticket" in done.stdout
    assert done.stderr == b""
