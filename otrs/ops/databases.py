"""Dumping and loading the database with each engine's own tool: ``pg_dump``/``pg_restore``
for PostgreSQL, ``mariadb-dump``/``mariadb`` for MariaDB and MySQL, the backup API for SQLite.

Each engine gives the rows counted per table in the same snapshot the dump was taken from
(PostgreSQL: ``pg_dump --snapshot`` of a transaction that counts; SQLite: the backup runs in
the counting transaction; MariaDB: ``--single-transaction``, counted just before in a
consistent snapshot, so writes while it runs show as a mismatch and the backup fails instead
of passing unverified), and can load a dump into a scratch database to count it again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction


class DatabaseToolError(Exception):
    """A dump or load tool failed; the message has its error output."""


def _run(args: list[str], env: dict[str, str], *, stdin=None, stdout=None) -> None:
    binary = shutil.which(args[0])
    if binary is None:
        raise DatabaseToolError(f"{args[0]} is not installed (apt-get install the client tools)")
    done = subprocess.run(  # noqa: S603 - arguments from the settings, no shell
        [binary, *args[1:]],
        env=env,
        stdin=stdin,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace").strip()
        raise DatabaseToolError(f"{args[0]} failed (exit {done.returncode}): {error}")


def _quote(name: str, vendor: str) -> str:
    return f"`{name}`" if vendor == "mysql" else f'"{name}"'


def count_tables(cursor, tables: list[str], vendor: str) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table, vendor)}")  # noqa: S608 - names from introspection
        counts[table] = int(cursor.fetchone()[0])
    return counts


class Engine:
    """The default database's engine, as the settings describe it."""

    extension = ""

    def __init__(self, alias: str = DEFAULT_DB_ALIAS):
        self.alias = alias
        self.connection = connections[alias]
        self.settings = self.connection.settings_dict
        self.vendor = self.connection.vendor

    def tables(self) -> list[str]:
        with self.connection.cursor() as cursor:
            return sorted(self.connection.introspection.table_names(cursor))

    def dump(self, target: Path) -> dict[str, int]:
        raise NotImplementedError

    def counts_of_dump(self, dump: Path) -> dict[str, int]:
        """Load the dump into a scratch database, count, drop the scratch database."""
        raise NotImplementedError

    def load(self, dump: Path) -> None:
        """Replace the database's contents with the dump's (atomically where the engine can)."""
        raise NotImplementedError


class PostgreSQL(Engine):
    extension = "pgdump"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.settings.get("PASSWORD"):
            env["PGPASSWORD"] = self.settings["PASSWORD"]
        return env

    def _connect_args(self, name: str) -> list[str]:
        args = ["--dbname", name]
        if self.settings.get("HOST"):
            args += ["--host", self.settings["HOST"]]
        if self.settings.get("PORT"):
            args += ["--port", str(self.settings["PORT"])]
        if self.settings.get("USER"):
            args += ["--username", self.settings["USER"]]
        return [*args, "--no-password"]

    def dump(self, target: Path) -> dict[str, int]:
        tables = self.tables()
        with transaction.atomic(using=self.alias), self.connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = count_tables(cursor, tables, self.vendor)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    *self._connect_args(self.settings["NAME"]),
                ],
                self._env(),
            )
        return counts

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[str]:
        name = f"{self.settings['NAME']}_verify_{uuid.uuid4().hex[:8]}"[:63]
        with self.connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _restore(self, dump: Path, name: str, *extra: str) -> None:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                *extra,
                *self._connect_args(name),
                str(dump),
            ],
            self._env(),
        )

    def counts_of_dump(self, dump: Path) -> dict[str, int]:
        with self._scratch() as name:
            self._restore(dump, name)
            scratch = psycopg_connect(self.settings, name)
            try:
                with scratch.cursor() as cursor:
                    cursor.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    )
                    tables = [row[0] for row in cursor.fetchall()]
                    return count_tables(cursor, tables, self.vendor)
            finally:
                scratch.close()

    def load(self, dump: Path) -> None:
        # One transaction: the old tables are dropped and the dump's created and filled, or
        # (on any error) nothing changed. Tables the dump does not have go in the same way.
        self.connection.close()
        self._restore(dump, self.settings["NAME"], "--clean", "--if-exists")
        keep = set(self._tables_in_dump(dump))
        with self.connection.cursor() as cursor:
            for table in self.tables():
                if table not in keep:
                    cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')

    def _tables_in_dump(self, dump: Path) -> list[str]:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [shutil.which("pg_restore") or "pg_restore", "--list", str(dump)],
            capture_output=True,
            check=True,
        )
        tables = []
        for line in done.stdout.decode().splitlines():
            parts = line.split()
            # "215; 1259 16385 TABLE public django_migrations postgres"
            if len(parts) >= 6 and not line.startswith(";") and parts[3] == "TABLE":
                tables.append(parts[5])
        return tables


def psycopg_connect(settings: dict, name: str):
    # Imported here: psycopg is an optional extra, present only with PostgreSQL.
    import psycopg

    return psycopg.connect(
        dbname=name,
        host=settings.get("HOST") or None,
        port=settings.get("PORT") or None,
        user=settings.get("USER") or None,
        password=settings.get("PASSWORD") or None,
        autocommit=True,
    )


class MariaDB(Engine):
    extension = "sql"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.settings.get("PASSWORD"):
            env["MYSQL_PWD"] = self.settings["PASSWORD"]
        return env

    def _connect_args(self) -> list[str]:
        args = []
        if self.settings.get("HOST"):
            args += ["--host", self.settings["HOST"]]
        if self.settings.get("PORT"):
            args += ["--port", str(self.settings["PORT"])]
        if self.settings.get("USER"):
            args += ["--user", self.settings["USER"]]
        return args

    def _tool(self, *names: str) -> str:
        return next((n for n in names if shutil.which(n)), names[0])

    def dump(self, target: Path) -> dict[str, int]:
        tables = self.tables()
        with self.connection.cursor() as cursor:
            # The settings make READ COMMITTED the default; a snapshot needs REPEATABLE READ.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            try:
                counts = count_tables(cursor, tables, self.vendor)
            finally:
                cursor.execute("COMMIT")
        with target.open("wb") as out:
            _run(
                [
                    self._tool("mariadb-dump", "mysqldump"),
                    "--single-transaction",
                    "--quick",
                    "--routines",
                    "--triggers",
                    "--hex-blob",
                    "--default-character-set=utf8mb4",
                    "--skip-add-locks",
                    *self._connect_args(),
                    self.settings["NAME"],
                ],
                self._env(),
                stdout=out,
            )
        return counts

    def _load_into(self, dump: Path, name: str) -> None:
        with dump.open("rb") as source:
            _run(
                [
                    self._tool("mariadb", "mysql"),
                    "--default-character-set=utf8mb4",
                    *self._connect_args(),
                    name,
                ],
                self._env(),
                stdin=source,
            )

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[str]:
        name = f"{self.settings['NAME']}_verify_{uuid.uuid4().hex[:8]}"[:64]
        with self.connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            yield name
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")

    def _tables_of(self, cursor, name: str) -> list[str]:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [name],
        )
        return [row[0] for row in cursor.fetchall()]

    def counts_of_dump(self, dump: Path) -> dict[str, int]:
        with self._scratch() as name:
            self._load_into(dump, name)
            with self.connection.cursor() as cursor:
                tables = [f"{name}`.`{t}" for t in self._tables_of(cursor, name)]
                return _strip_schema(count_tables(cursor, tables, self.vendor))

    def load(self, dump: Path) -> None:
        # Loaded into a scratch database first; then one RENAME TABLE statement (atomic in
        # MariaDB and MySQL) moves the current tables aside and the loaded ones in.
        target = self.settings["NAME"]
        with self._scratch() as scratch, self._scratch() as aside:
            self._load_into(dump, scratch)
            with self.connection.cursor() as cursor:
                current = self._tables_of(cursor, target)
                loaded = self._tables_of(cursor, scratch)
                renames = [f"`{target}`.`{t}` TO `{aside}`.`{t}`" for t in current]
                renames += [f"`{scratch}`.`{t}` TO `{target}`.`{t}`" for t in loaded]
                cursor.execute("RENAME TABLE " + ", ".join(renames))


def _strip_schema(counts: dict[str, int]) -> dict[str, int]:
    return {table.split("`.`", 1)[-1]: count for table, count in counts.items()}


class SQLite(Engine):
    extension = "sqlite3"

    def _path(self) -> str:
        return str(self.settings["NAME"])

    def dump(self, target: Path) -> dict[str, int]:
        tables = self.tables()
        source = sqlite3.connect(self._path())
        destination = sqlite3.connect(str(target))
        try:
            # The backup runs inside the transaction that counts: the same snapshot.
            source.execute("BEGIN")
            counts = count_tables(source.cursor(), tables, self.vendor)
            source.backup(destination)
            source.rollback()
        finally:
            destination.close()
            source.close()
        return counts

    def counts_of_dump(self, dump: Path) -> dict[str, int]:
        # A copy, so that checking never changes the archive's member.
        scratch = dump.with_name(f"verify-{uuid.uuid4().hex[:8]}.sqlite3")
        shutil.copyfile(dump, scratch)
        try:
            copy = sqlite3.connect(str(scratch))
            try:
                problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
                if problem != "ok":
                    raise DatabaseToolError(f"SQLite integrity check: {problem}")
                tables = [
                    row[0]
                    for row in copy.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                return count_tables(copy.cursor(), tables, self.vendor)
            finally:
                copy.close()
        finally:
            scratch.unlink(missing_ok=True)

    def load(self, dump: Path) -> None:
        # The backup API into the live file: one write transaction, readers see the old or
        # the new database, never half of it.
        self.connection.close()
        source = sqlite3.connect(str(dump))
        destination = sqlite3.connect(self._path(), timeout=30)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()


def engine(alias: str = DEFAULT_DB_ALIAS) -> Engine:
    vendor = connections[alias].vendor
    kinds: dict[str, type[Engine]] = {
        "postgresql": PostgreSQL,
        "mysql": MariaDB,
        "sqlite": SQLite,
    }
    if vendor not in kinds:
        raise DatabaseToolError(f"no backup for the database engine {vendor}")
    return kinds[vendor](alias)
