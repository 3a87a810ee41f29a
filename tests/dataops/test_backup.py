"""``consult backup`` and ``consult restore`` on the database under test (SQLite or
PostgreSQL): a consistent copy while the application writes, and a restore that brings back
exactly the backed-up state."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text

from consult.extensions import db
from consult.models import AuditEvent, Invitation
from tests.dataops.conftest import answers_checksum, by_slug, erase, table_counts

pytestmark = pytest.mark.db


def _dialect() -> str:
    return db.engine.dialect.name


def _head() -> str:
    """The schema revision of the database under test (migrated to head)."""
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.commit()
    return str(revision)


def test_backup_change_restore_round_trip(closed, runner: FlaskCliRunner, tmp_path: Path) -> None:
    state = (table_counts(), answers_checksum())
    db.session.commit()
    output = tmp_path / "nightly.backup"
    done = runner.invoke(args=["backup", "--output", str(output)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"Backup written to {output} (")
    assert f", {_dialect()}, schema revision {_head()})." in done.output
    assert output.stat().st_size > 10_000
    assert not list(tmp_path.glob(".*.part"))

    # the data changes after the backup: an erasure, a purge, new rows
    erased = erase(runner, closed.receipts[0], "asked")
    assert erased.exit_code == 0, erased.output
    by_slug().retention_days = 1
    db.session.commit()
    assert runner.invoke(args=["purge", "--now", "2030-01-01T00:00"]).exit_code == 0
    db.session.expire_all()
    assert (table_counts(), answers_checksum()) != state

    restored = runner.invoke(args=["restore", str(output), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert f"(schema revision {_head()})." in restored.output
    db.session.remove()
    counts = table_counts()
    assert counts["audit_events"] == state[0]["audit_events"] + 1  # the restore itself
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.details) == (
        "database.restore",
        {"backup": "nightly.backup", "revision": _head()},
    )
    counts["audit_events"] -= 1
    assert (counts, answers_checksum()) == state
    assert db.session.scalar(select(func.count(Invitation.email))) == 31


def test_restore_asks_first(closed, runner: FlaskCliRunner, tmp_path: Path) -> None:
    output = tmp_path / "b.backup"
    db.session.commit()
    assert runner.invoke(args=["backup", "-o", str(output)]).exit_code == 0
    done = runner.invoke(args=["restore", str(output)], input="n\n")
    assert done.exit_code == 2
    assert done.output.strip().splitlines()[-1] == "Error: nothing restored"


def test_backup_while_the_application_writes(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """A thread commits pairs of rows during the backup: the copy holds whole pairs only."""
    stop, started = threading.Event(), threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with app.app_context():
                batch = 0
                while not stop.is_set() or batch < 5:
                    with db.engine.begin() as conn:
                        for half in ("a", "b"):
                            conn.execute(
                                AuditEvent.__table__.insert().values(
                                    action=f"test.pair.{half}",
                                    details={"batch": batch},
                                )
                            )
                    written.append(batch)
                    batch += 1
                    started.set()
                db.engine.dispose()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert started.wait(30)
    output = tmp_path / "busy.backup"
    try:
        done = runner.invoke(args=["backup", "-o", str(output)])
    finally:
        stop.set()
        thread.join(60)
    assert not errors
    assert done.exit_code == 0, done.output
    pairs = _pairs_in_backup(output, tmp_path)
    halves_a = sorted(b for half, b in pairs if half == "a")
    halves_b = sorted(b for half, b in pairs if half == "b")
    assert halves_a == halves_b  # every transaction whole, or not at all
    assert halves_a == list(range(len(halves_a)))  # a prefix of what was committed
    assert 1 <= len(halves_a) <= len(written)


def _pairs_in_backup(output: Path, tmp_path: Path) -> list[tuple[str, int]]:
    """(half, batch) of the test rows in the backup, after checking its integrity."""
    if _dialect() == "sqlite":
        conn = sqlite3.connect(output)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            rows = conn.execute(
                "SELECT action, json_extract(details, '$.batch') FROM audit_events "
                "WHERE action LIKE 'test.pair.%'"
            ).fetchall()
        finally:
            conn.close()
        return [(action[-1], int(batch)) for action, batch in rows]
    # PostgreSQL: restore the dump (the writer has stopped) and read it back
    db.session.remove()
    from consult.dataops import restore_postgres

    restore_postgres(db.engine, output)
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, (details->>'batch')::int FROM audit_events "
                "WHERE action LIKE 'test.pair.%'"
            )
        ).all()
    return [(action[-1], int(batch)) for action, batch in rows]
