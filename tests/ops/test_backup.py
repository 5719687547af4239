"""``manage.py backup`` and ``restore`` round trips on the database the suite runs on
(SQLite, PostgreSQL, MariaDB), with the engine's own tools and real files: identical data
after restore, and refusals (corrupt archive, another release) that change nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from otrs.mail.models import OutboundMessage
from otrs.ops import backup
from tests import factories
from tests.ops.helpers import committed, table_rows

BINARY = bytes(range(256)) * 4


def _data() -> None:
    grp = factories.group("support")
    queue = factories.queue("Support", group_=grp)
    for number in range(3):
        ticket = factories.ticket(queue, title=f"Grüße {number} 🎉 'quoted' \\ back")
        factories.note(ticket, body="Zeile 1\nZeile 2\t\x01")
    OutboundMessage.objects.create(
        kind="system", envelope_from="a@example.test", recipients=["b@example.test"], raw=BINARY
    )
    storages["attachments"].save("cas/ab/cd/file.bin", ContentFile(BINARY))
    storages["attachments"].save("named file ü.txt", ContentFile(b"text"))


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _rewrite(archive: Path, target: Path, change) -> None:
    """A copy of ``archive`` with ``change(name, data) -> data`` applied to each member."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for info in source:
            data = source.extractfile(info).read()
            data = change(info.name, data)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


@committed
def test_it_round_trips_database_and_files_identically(file_storages, tmp_path):
    assert Path(storages["attachments"].location) == tmp_path / "article"
    _data()
    before_rows, before_files = table_rows(), _files(tmp_path / "article")
    archive = tmp_path / "backups" / "one.tar"

    out = io.StringIO()
    call_command("backup", str(archive), stdout=out, verbosity=0)
    assert "Backup written and verified" in out.getvalue()
    manifest = backup.read_manifest(archive)
    assert manifest.vendor == connection.vendor
    assert manifest.tables["tickets_ticket"] == 3
    assert manifest.files["attachments"] == {"count": 2, "bytes": len(BINARY) + 4}
    assert not list((tmp_path / "backups").glob("*.partial"))
    # Noted for the dashboard's health box (a verified backup only).
    noted_at, noted_path = backup.last_verified()
    assert noted_at <= timezone.now()
    assert noted_path == str(archive.resolve())

    # Everything changes after the backup: rows added, changed and deleted, files too.
    ticket = factories.ticket(factories.queue("Other"), title="after the backup")
    factories.note(ticket)
    OutboundMessage.objects.all().delete()
    storages["attachments"].delete("cas/ab/cd/file.bin")
    storages["attachments"].save("new.txt", ContentFile(b"new"))
    assert table_rows() != before_rows

    call_command("restore", str(archive), "--yes", stdout=io.StringIO(), verbosity=0)

    assert table_rows() == before_rows
    assert _files(tmp_path / "article") == before_files
    assert bytes(OutboundMessage.objects.get().raw) == BINARY


@committed
def test_it_refuses_a_corrupt_or_foreign_archive_and_changes_nothing(file_storages, tmp_path):
    _data()
    archive = tmp_path / "good.tar"
    backup.create(archive)
    before = table_rows()

    def flip(name: str, data: bytes) -> bytes:
        if name.startswith("database."):
            middle = len(data) // 2
            return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
        return data

    corrupt = tmp_path / "corrupt.tar"
    _rewrite(archive, corrupt, flip)
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(corrupt), "--yes", verbosity=0)
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("backup", str(corrupt), "--check", verbosity=0)

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="Restore refused"):
        call_command("restore", str(truncated), "--yes", verbosity=0)

    def newer(name: str, data: bytes) -> bytes:
        if name == backup.MANIFEST:
            manifest = json.loads(data)
            manifest["migrations"].append("tickets.9999_from_the_future")
            manifest["project_version"] = "99.0"
            return json.dumps(manifest).encode()
        return data

    future = tmp_path / "future.tar"
    _rewrite(archive, future, newer)
    with pytest.raises(CommandError, match=r"tickets\.9999_from_the_future"):
        call_command("restore", str(future), "--yes", verbosity=0)

    def older(name: str, data: bytes) -> bytes:
        if name == backup.MANIFEST:
            manifest = json.loads(data)
            manifest["migrations"].remove("daemon.0009_heartbeat")
            return json.dumps(manifest).encode()
        return data

    past = tmp_path / "past.tar"
    _rewrite(archive, past, older)
    with pytest.raises(CommandError, match="older release"):
        call_command("restore", str(past), "--yes", verbosity=0)

    assert table_rows() == before


@committed
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite is copied by Python, no tool to fail"
)
def test_a_failed_dump_leaves_no_archive(file_storages, tmp_path, monkeypatch):
    # The dump tool is not found: the backup fails, says why, and writes nothing.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    archive = tmp_path / "none.tar"
    with pytest.raises(CommandError, match="is not installed"):
        call_command("backup", str(archive), verbosity=0)
    assert list(tmp_path.glob("*.tar*")) == []
    assert backup.last_verified() is None  # a failed backup is not noted


def test_it_masks_secrets_of_the_settings_file():
    text = (
        "SECRET_KEY=abc\nDATABASE_URL=postgres://otrs:s3cret@db/otrs\n# PASSWORD=x\n"
        "DEBUG=false\nMAIL_PASSWORD=pw\nSENTRY_DSN=https://dsnkey@sentry.example/1\n"
        "SAML_PRIVATE=-----BEGIN\n"
    )
    masked = backup.masked_env(text)
    # The names the environment settings page and the support bundle mask (one rule).
    assert "SENTRY_DSN=********" in masked and "SAML_PRIVATE=********" in masked
    assert "abc" not in masked
    assert "s3cret" not in masked
    assert "pw\n" not in masked
    assert "DATABASE_URL=postgres://otrs:********@db/otrs" in masked
    assert "DEBUG=false" in masked
    assert "# PASSWORD=x" in masked
