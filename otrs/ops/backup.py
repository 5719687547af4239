"""Backups of a whole installation in one tar file, verified before they are called good.

An archive holds ``manifest.json`` (first), the database dump (``database.<pgdump|sql|
sqlite3>``), the files of the local storages (``files/<storage>/...``: attachments and
media) and ``env`` (the settings file, secrets masked unless asked for). The manifest has the
format, the project's version, the database engine, the migrations applied, the rows per
table (counted in the dump's own snapshot) and the size and SHA-256 of every other member.

:func:`create` writes the archive, then verifies it as :func:`restore` would read it: every
member against its checksum, and the dump loaded into a scratch database whose row counts
must equal the manifest's. Only then is the archive renamed to its final name; a dump that
failed or is incomplete never leaves a file that looks like a backup.

:func:`restore` refuses an archive whose members do not match their checksums, one made by
another database engine, or one whose migrations differ from this code's (a backup of a
newer release; an older one only with ``allow_older``, to be migrated afterwards).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from .databases import DatabaseToolError, engine
from .masking import MASK, SECRET_NAME, mask_url_passwords

FORMAT = 1
MANIFEST = "manifest.json"
ENV_MEMBER = "env"
# The storages whose files belong in a backup (those with a local directory).
FILE_STORAGES = ("attachments", "default")
CHUNK = 1024 * 1024

Progress = Callable[[str], None]


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why, for the operator."""


@dataclass
class Manifest:
    format: int
    project_version: str
    created_at: str
    vendor: str
    database: str
    migrations: list[str]
    tables: dict[str, int]
    members: dict[str, dict] = field(default_factory=dict)
    files: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise BackupError(
                f"This archive has format {raw.get('format') if isinstance(raw, dict) else '?'}; "
                f"this release reads format {FORMAT}."
            )
        try:
            return cls(**raw)
        except TypeError as exc:
            raise BackupError(f"The manifest is not one this release understands: {exc}") from None


def project_version() -> str:
    try:
        return metadata.version("otrs-django")
    except metadata.PackageNotFoundError:
        return "unknown"


def applied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    loader = MigrationLoader(connections[alias])
    return sorted(f"{app}.{name}" for app, name in loader.applied_migrations)


def known_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def storage_dirs() -> dict[str, Path]:
    """The local directories of the storages a backup keeps, by storage name."""
    dirs: dict[str, Path] = {}
    for name in FILE_STORAGES:
        location = getattr(storages[name], "location", None)
        if location and Path(location) not in dirs.values():
            dirs[name] = Path(location)
    return dirs


def masked_env(text: str) -> str:
    """The settings file with every secret's value replaced (names kept, so a restore shows
    what has to be filled in)."""
    lines = []
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            value = MASK if SECRET_NAME.search(name.strip()) else mask_url_passwords(value)
            line = f"{name}{sep}{value}"
        lines.append(line)
    return "\n".join(lines) + "\n"


# --- writing ------------------------------------------------------------------------------------


def create(
    output: Path,
    *,
    include_files: bool = True,
    with_secrets: bool = False,
    verify: bool = True,
    progress: Progress = lambda message: None,
) -> Manifest:
    db = engine()
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".otrs-backup-", dir=output.parent))
    partial = output.with_name(output.name + ".partial")
    try:
        dump = work / f"database.{db.extension}"
        progress(f"Dumping the {db.vendor} database")
        try:
            tables = db.dump(dump)
        except DatabaseToolError as exc:
            raise BackupError(str(exc)) from None
        manifest = Manifest(
            format=FORMAT,
            project_version=project_version(),
            created_at=timezone.now().isoformat(),
            vendor=db.vendor,
            database=dump.name,
            migrations=applied_migrations(),
            tables=tables,
        )
        manifest.members[dump.name] = {"size": dump.stat().st_size, "sha256": _sha256(dump)}
        env_file = Path(settings.BASE_DIR) / ".env"
        env_bytes = None
        if env_file.is_file():
            text = env_file.read_text()
            env_bytes = (text if with_secrets else masked_env(text)).encode()
            manifest.members[ENV_MEMBER] = {
                "size": len(env_bytes),
                "sha256": hashlib.sha256(env_bytes).hexdigest(),
            }
        files: list[tuple[str, Path]] = []
        if include_files:
            for storage, root in storage_dirs().items():
                progress(f"Listing the files of the {storage} storage ({root})")
                count = size = 0
                for path in sorted(root.rglob("*")) if root.is_dir() else []:
                    if path.is_file() and not path.is_symlink():
                        member = f"files/{storage}/{path.relative_to(root).as_posix()}"
                        stat = path.stat()
                        manifest.members[member] = {"size": stat.st_size, "sha256": _sha256(path)}
                        files.append((member, path))
                        count += 1
                        size += stat.st_size
                manifest.files[storage] = {"count": count, "bytes": size}

        progress(f"Writing {partial.name}")
        with tarfile.open(partial, "w") as archive:
            _add_bytes(archive, MANIFEST, manifest.to_json())
            archive.add(dump, arcname=dump.name, recursive=False)
            if env_bytes is not None:
                _add_bytes(archive, ENV_MEMBER, env_bytes)
            for member, path in files:
                archive.add(path, arcname=member, recursive=False)
        if verify:
            progress("Verifying: checksums, and the dump loaded into a scratch database")
            check(partial, progress=progress)
        os.replace(partial, output)
        if verify:
            _remember(output)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)


def last_verified_file() -> Path:
    return Path(settings.VAR_DIR) / "last-verified-backup.json"


def _remember(output: Path) -> None:
    """Note the verified backup (when, where) for the admin dashboard's health box."""
    record = {"at": timezone.now().isoformat(), "path": str(output)}
    last_verified_file().write_text(json.dumps(record) + "\n")


def last_verified() -> tuple[datetime, str] | None:
    """When and where this host last wrote a verified backup, if it noted one."""
    try:
        record = json.loads(last_verified_file().read_text())
        return datetime.fromisoformat(record["at"]), str(record["path"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


# --- reading ------------------------------------------------------------------------------------


def read_manifest(archive_path: Path) -> Manifest:
    try:
        with tarfile.open(archive_path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.from_json(member.read())
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{archive_path} is not a readable backup archive: {exc}") from None


def _extract_checked(archive_path: Path, manifest: Manifest, into: Path) -> None:
    """Extract every member the manifest lists, each against its size and SHA-256; refuse
    anything missing, extra, changed, or pointing outside ``into``."""
    seen = set()
    try:
        with tarfile.open(archive_path, "r") as archive:
            for info in archive:
                if info.name == MANIFEST:
                    continue
                expected = manifest.members.get(info.name)
                if expected is None or not info.isfile():
                    raise BackupError(f"The archive holds {info.name}, which its manifest lacks.")
                target = (into / info.name).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise BackupError(f"The archive member {info.name} leaves the archive.")
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(info)
                assert source is not None
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != expected["sha256"] or info.size != expected["size"]:
                    raise BackupError(
                        f"The archive is corrupt: {info.name} does not match its checksum."
                    )
                seen.add(info.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"The archive is corrupt or truncated: {exc}") from None
    missing = set(manifest.members) - seen
    if missing:
        raise BackupError(
            f"The archive is incomplete: {len(missing)} members missing, e.g. {sorted(missing)[0]}."
        )


def _compare_counts(expected: dict[str, int], found: dict[str, int]) -> None:
    differences = [
        f"{table}: {expected.get(table)} expected, {found.get(table)} found"
        for table in sorted(set(expected) | set(found))
        if expected.get(table) != found.get(table)
    ]
    if differences:
        raise BackupError(
            "The dump does not hold what the database held: " + "; ".join(differences[:5])
        )


def check(archive_path: Path, *, progress: Progress = lambda message: None) -> Manifest:
    """Verify an archive completely without touching the database: checksums, then the dump
    loaded into a scratch database and counted."""
    manifest = read_manifest(archive_path)
    db = engine()
    if manifest.vendor != db.vendor:
        raise BackupError(f"This is a {manifest.vendor} backup; the database here is {db.vendor}.")
    work = Path(tempfile.mkdtemp(prefix=".otrs-verify-", dir=archive_path.resolve().parent))
    try:
        _extract_checked(archive_path, manifest, work)
        try:
            found = db.counts_of_dump(work / manifest.database)
        except DatabaseToolError as exc:
            raise BackupError(f"The dump does not load: {exc}") from None
        _compare_counts(manifest.tables, found)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def check_compatible(manifest: Manifest, *, allow_older: bool = False) -> None:
    db = engine()
    if manifest.vendor != db.vendor:
        raise BackupError(f"This is a {manifest.vendor} backup; the database here is {db.vendor}.")
    known = set(known_migrations())
    theirs = set(manifest.migrations)
    newer = sorted(theirs - known)
    if newer:
        raise BackupError(
            f"The backup was made by another release ({manifest.project_version}, this is "
            f"{project_version()}): it has migrations this code does not know "
            f"({', '.join(newer[:5])}). Restore it with the release that made it."
        )
    older = sorted(known - theirs)
    if older and not allow_older:
        raise BackupError(
            f"The backup was made by an older release ({manifest.project_version}): "
            f"{len(older)} migrations of this code are not in it ({', '.join(older[:5])}). "
            "Restore with --allow-older, then run manage.py migrate."
        )


def restore(
    archive_path: Path,
    *,
    include_files: bool = True,
    allow_older: bool = False,
    progress: Progress = lambda message: None,
) -> Manifest:
    """Replace the database (and the storages' files) with the archive's, after checking it
    all: nothing is changed unless every member matches and the dump loads and counts right."""
    manifest = read_manifest(archive_path)
    check_compatible(manifest, allow_older=allow_older)
    db = engine()
    work = Path(tempfile.mkdtemp(prefix=".otrs-restore-", dir=archive_path.resolve().parent))
    try:
        progress("Checking every member against its checksum")
        _extract_checked(archive_path, manifest, work)
        dump = work / manifest.database
        progress("Loading the dump into a scratch database to count it")
        try:
            _compare_counts(manifest.tables, db.counts_of_dump(dump))
            progress(f"Replacing the {db.vendor} database")
            db.load(dump)
        except DatabaseToolError as exc:
            raise BackupError(f"The dump does not load: {exc}") from None
        connections[DEFAULT_DB_ALIAS].close()
        if include_files:
            _replace_files(work, manifest, progress)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _replace_files(work: Path, manifest: Manifest, progress: Progress) -> None:
    for storage, root in storage_dirs().items():
        if storage not in manifest.files:
            continue
        progress(f"Replacing the files of the {storage} storage ({root})")
        fresh = work / "files" / storage
        fresh.mkdir(parents=True, exist_ok=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        # Moved next to the target first (same file system), then swapped by two renames.
        staged = root.with_name(f".{root.name}.restoring")
        aside = root.with_name(f".{root.name}.before-restore")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)
        shutil.move(str(fresh), str(staged))
        if root.exists():
            os.replace(root, aside)
        os.replace(staged, root)
        shutil.rmtree(aside, ignore_errors=True)
