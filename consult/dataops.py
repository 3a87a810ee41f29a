"""Backups of the database and their restore (``consult backup`` / ``consult restore``).

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
while the application keeps writing; the copy is checked with ``PRAGMA integrity_check``
before it replaces the output file. Restoring copies a checked backup back into the
configured database with the same API (one transaction: readers see the old or the new
database, never a mix). PostgreSQL: ``pg_dump --format=custom`` of the application's schema
(a consistent snapshot by itself) and ``pg_restore --clean --if-exists --single-transaction``
(a failed restore leaves the database as it was). The password goes to the tools through
``PGPASSWORD``, never on their command line.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine


class DataOpsError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


class ToolMissing(DataOpsError):
    """``pg_dump`` or ``pg_restore`` is not installed."""


@dataclass(frozen=True)
class BackupResult:
    """A written backup: where, how big, and the schema revision it holds."""

    path: Path
    size: int
    revision: str | None
    dialect: str


def sqlite_path(url: URL) -> Path:
    """The database file of a SQLite URL (in-memory databases cannot be backed up)."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise DataOpsError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _revision_of(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _check_sqlite(path: Path) -> str | None:
    """``PRAGMA integrity_check`` of a SQLite file; returns its schema revision."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DataOpsError(f"{path} cannot be opened as a SQLite database: {exc}") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()
        if not result or result[0] != "ok":
            raise DataOpsError(f"{path} failed the integrity check: {result[0] if result else ''}")
        return _revision_of(conn)
    except sqlite3.DatabaseError as exc:
        raise DataOpsError(f"{path} is not a valid SQLite database: {exc}") from None
    finally:
        conn.close()


def _check_folder(output: Path) -> None:
    if not output.parent.is_dir():
        raise DataOpsError(f"cannot write {output}: no such folder {output.parent}")


def backup_sqlite(source: Path, output: Path) -> BackupResult:
    """Copy the SQLite database ``source`` to ``output`` (checked, then renamed into place)."""
    if not source.exists():
        raise DataOpsError(f"no database file at {source}")
    if output.resolve() == source.resolve():
        raise DataOpsError("the backup cannot overwrite the database itself")
    _check_folder(output)
    partial = output.with_name(f".{output.name}.part")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # one step: a consistent snapshot, writers go on meanwhile
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        revision = _check_sqlite(partial)
        partial.replace(output)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise DataOpsError(f"backup of {source} failed: {exc}") from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DataOpsError(f"cannot write {output}: {exc.strerror or exc}") from None
    except DataOpsError:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(output, output.stat().st_size, revision, "sqlite")


def restore_sqlite(backup: Path, target: Path, known_revisions: set[str]) -> str | None:
    """Replace the content of the SQLite database ``target`` with the backup ``backup``.

    The backup is checked first (integrity, a schema revision this code knows); the copy is
    one write transaction of the backup API, so the application's connections see the old or
    the restored database. Returns the backup's schema revision.
    """
    if not backup.is_file():
        raise DataOpsError(f"no such file: {backup}")
    revision = _check_sqlite(backup)
    if revision is None or revision not in known_revisions:
        raise DataOpsError(
            f"{backup} is not a Consult backup this version can restore "
            f"(schema revision {revision or 'none'})"
        )
    try:
        src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target, timeout=30)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise DataOpsError(f"restore into {target} failed: {exc}") from None
    return revision


# --- PostgreSQL ----------------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _major(version_output: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_output)
    if match is None:
        raise DataOpsError(f"cannot read the version of: {version_output.strip()}")
    return int(match.group(1))


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI (no password) and the environment carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )  # ``URL.set(password=None)`` would keep the password
    return plain.render_as_string(hide_password=False), env


def postgres_schema(engine: Engine) -> tuple[str, int]:
    """The application's schema (the first on the search path) and the server's major version."""
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    return str(schema), version // 10000


def pg_dump_command(url: URL, schema: str, output: Path) -> list[str]:
    """The documented ``pg_dump`` command for the database ``url`` (password not included)."""
    target, _env = libpq_target(url)
    return [
        "pg_dump",
        "--format=custom",
        f"--schema={schema}",
        "--no-owner",
        f"--file={output}",
        f"--dbname={target}",
    ]


def backup_postgres(engine: Engine, output: Path) -> BackupResult:
    """``pg_dump --format=custom`` of the application's schema into ``output``."""
    schema, server_major = postgres_schema(engine)
    pg_dump = _tool("pg_dump")
    version = subprocess.run(  # noqa: S603  (a fixed tool, argument list, no shell)
        [pg_dump, "--version"], capture_output=True, text=True, check=False
    ).stdout
    if _major(version) < server_major:
        raise DataOpsError(
            f"pg_dump {_major(version)} is older than the server ({server_major}): "
            "install a pg_dump of the server's major version or newer"
        )
    _check_folder(output)
    partial = output.with_name(f".{output.name}.part")
    command = pg_dump_command(engine.url, schema, partial)
    command[0] = pg_dump
    _target, env = libpq_target(engine.url)
    done = subprocess.run(  # noqa: S603  (a fixed tool, argument list, no shell)
        command, capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise DataOpsError(f"pg_dump failed: {_first_line(done.stderr)}")
    partial.replace(output)
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return BackupResult(output, output.stat().st_size, revision, "postgresql")


def restore_postgres(engine: Engine, backup: Path) -> None:
    """``pg_restore --clean --if-exists --single-transaction`` of ``backup`` into the database.

    A failure rolls the whole restore back: the database stays as it was.
    """
    if not backup.is_file():
        raise DataOpsError(f"no such file: {backup}")
    pg_restore = _tool("pg_restore")
    listing = subprocess.run(  # noqa: S603  (a fixed tool, argument list, no shell)
        [pg_restore, "--list", str(backup)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0 or "alembic_version" not in listing.stdout:
        raise DataOpsError(f"{backup} is not a Consult backup made by pg_dump --format=custom")
    target, env = libpq_target(engine.url)
    done = subprocess.run(  # noqa: S603  (a fixed tool, argument list, no shell)
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            f"--dbname={target}",
            str(backup),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise DataOpsError(f"pg_restore failed (nothing changed): {_first_line(done.stderr)}")


def _first_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no message"
