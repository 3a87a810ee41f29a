"""Failed ``backup`` and ``restore``: one line on standard error, exit 2, database as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.engine import make_url

from consult.dataops import libpq_target, pg_dump_command
from consult.extensions import db
from tests.dataops.conftest import answers_checksum, table_counts

pytestmark = pytest.mark.db


def _one_line_error(done, start: str) -> None:
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(start), lines
    assert "Traceback" not in done.output


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def _state() -> tuple:
    db.session.expire_all()
    state = (table_counts(), answers_checksum())
    db.session.commit()
    return state


def test_backup_to_a_missing_folder(closed, runner: FlaskCliRunner, tmp_path: Path) -> None:
    output = tmp_path / "no" / "such" / "folder" / "b.backup"
    done = runner.invoke(args=["backup", "-o", str(output)])
    _one_line_error(done, f"Error: cannot write {output}: no such folder")
    assert not output.parent.exists()


@pytest.mark.parametrize("kind", ["missing", "text", "empty-sqlite", "truncated"])
def test_restore_refuses_and_changes_nothing(
    closed, runner: FlaskCliRunner, tmp_path: Path, kind: str
) -> None:
    before = _state()
    path = tmp_path / "bad.backup"
    if kind == "text":
        path.write_text("not a backup\n")
    elif kind == "empty-sqlite":
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    elif kind == "truncated":
        good = tmp_path / "good.backup"
        assert runner.invoke(args=["backup", "-o", str(good)]).exit_code == 0
        data = good.read_bytes()
        # PostgreSQL: the dump's index stays whole, its last table's data does not
        path.write_bytes(data[: len(data) * 2 // 3] if _sqlite() else data[:-64])
    done = runner.invoke(args=["restore", str(path), "--yes"])
    if kind == "missing":
        _one_line_error(done, f"Error: no such file: {path}")
    elif _sqlite():
        _one_line_error(done, f"Error: {path}")
    elif kind == "truncated":
        _one_line_error(done, "Error: pg_restore failed (nothing changed)")
    else:
        _one_line_error(done, f"Error: {path} is not a Consult backup made by pg_dump")
    assert _state() == before


def test_without_pg_dump_the_command_is_printed(
    closed, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("consult.dataops.shutil.which", lambda name: None)
    output = tmp_path / "b.dump"
    done = runner.invoke(args=["backup", "-o", str(output)])
    if _sqlite():  # SQLite needs no tool
        assert done.exit_code == 0, done.output
        return
    _one_line_error(done, "Error: pg_dump is not installed (Debian: apt-get install")
    assert "; the backup command is: pg_dump --format=custom --schema=" in done.output
    assert not output.exists()


def test_the_pg_dump_command_keeps_the_password_out_of_its_arguments() -> None:
    url = make_url("postgresql+psycopg://consult:s3cret@db.internal:5432/consult")
    command = pg_dump_command(url, "public", Path("/backups/c.dump"))
    assert command == [
        "pg_dump",
        "--format=custom",
        "--schema=public",
        "--no-owner",
        "--file=/backups/c.dump",
        "--dbname=postgresql://consult@db.internal:5432/consult",
    ]
    target, env = libpq_target(url)
    assert target == "postgresql://consult@db.internal:5432/consult"
    assert env["PGPASSWORD"] == "s3cret"
