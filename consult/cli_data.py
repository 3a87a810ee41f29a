"""Data protection commands: ``backup``, ``restore``, ``purge`` and ``erase``.

Like every command, a failure the operator can cause prints one line and exits with status 2,
and leaves the database as it was. See docs/operations.md for cron examples.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from consult.cli import CommandError, OneLineCommand, one_line_errors
from consult.extensions import db


def _now(value: str | None) -> datetime:
    """``--now`` as an aware UTC time (naive means UTC); the current time without it."""
    if value is None:
        from consult.models import utcnow

        return utcnow()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now {value!r} is not an ISO time like 2027-01-31T02:00") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    migrate: Migrate = current_app.extensions["migrate"].migrate
    config = migrate.get_config()
    return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


@click.command("backup", cls=OneLineCommand)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Backup file (default: consult-<UTC time>.sqlite3 or .dump in the current folder).",
)
@with_appcontext
@one_line_errors
def backup_command(output: Path | None) -> None:
    """Write a consistent copy of the database while the application keeps running.

    SQLite: the online backup API, checked with PRAGMA integrity_check. PostgreSQL:
    pg_dump --format=custom of the application's schema (restore with consult restore).
    """
    from consult.dataops import (
        DataOpsError,
        ToolMissing,
        backup_postgres,
        backup_sqlite,
        pg_dump_command,
        postgres_schema,
        sqlite_path,
    )

    engine = db.engine
    dialect = engine.dialect.name
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if output is None:
        output = Path(f"consult-{stamp}.{'sqlite3' if dialect == 'sqlite' else 'dump'}")
    try:
        if dialect == "sqlite":
            result = backup_sqlite(sqlite_path(engine.url), output)
        elif dialect == "postgresql":
            try:
                result = backup_postgres(engine, output)
            except ToolMissing as exc:
                schema, _major = postgres_schema(engine)
                command = " ".join(pg_dump_command(engine.url, schema, output))
                raise CommandError(f"{exc}; the backup command is: {command}") from None
        else:
            raise CommandError(f"backups of {dialect} databases are not supported")
    except DataOpsError as exc:
        raise CommandError(str(exc)) from None
    click.echo(
        f"Backup written to {result.path} ({result.size} bytes, {result.dialect}, "
        f"schema revision {result.revision or 'none'})."
    )


@click.command("restore", cls=OneLineCommand)
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace the database now.")
@with_appcontext
@one_line_errors
def restore_command(backup: Path, yes: bool) -> None:
    """Replace the whole database with BACKUP (made by consult backup).

    Stop the application (or put it in maintenance) first: answers given between the backup
    and the restore are lost. A failed restore leaves the database as it was.
    """
    from consult.dataops import DataOpsError, restore_postgres, restore_sqlite, sqlite_path

    engine = db.engine
    dialect = engine.dialect.name
    where = engine.url.render_as_string(hide_password=True)
    if not backup.is_file():
        raise CommandError(f"no such file: {backup}")
    if not yes and not click.confirm(
        f"Replace every table of {where} with {backup}?", default=False, err=True
    ):
        raise CommandError("nothing restored")
    db.session.remove()
    try:
        if dialect == "sqlite":
            target = sqlite_path(engine.url)
            engine.dispose()
            revision = restore_sqlite(backup, target, _known_revisions())
        elif dialect == "postgresql":
            engine.dispose()
            restore_postgres(engine, backup)
            revision = None
        else:
            raise CommandError(f"restoring {dialect} databases is not supported")
    except DataOpsError as exc:
        raise CommandError(str(exc)) from None
    engine.dispose()
    if revision is None:
        from sqlalchemy import text

        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    click.echo(f"Restored {backup} into {where} (schema revision {revision}).")
    if revision not in _heads():
        click.echo("The backup is older than this version: run `consult db upgrade` now.")
        return
    from consult.services.audit import record

    record(db.session, None, "database.restore", backup=backup.name, revision=revision)
    db.session.commit()


def _heads() -> set[str]:
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    return set(ScriptDirectory.from_config(config).get_heads())


@click.command("purge", cls=OneLineCommand)
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@click.option("--now", "now_text", default=None, help="Take this ISO time as now (UTC).")
@with_appcontext
@one_line_errors
def purge_command(dry_run: bool, now_text: str | None) -> None:
    """Delete invitation data and contact details of consultations past their retention period.

    A consultation with a retention period (its settings page) is due that many days after it
    closed. Answers stay, anonymous; results do not change. Run it daily from cron.
    """
    from consult.services.retention import purge_due

    now = _now(now_text)
    results = purge_due(db.session, now, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would remove" if dry_run else "removed"
    for r in results:
        if not r.changed:
            click.echo(f"{r.slug}: nothing left to delete (purged before).")
            continue
        click.echo(
            f"{r.slug}: {verb} contact details and tokens of {r.invitations} invitation(s), "
            f"{r.participations} participation record(s), {r.responses_unlinked} "
            f"response-invitation link(s), {r.resume_tokens} resume token(s), "
            f"{r.downloads} stored download(s)."
        )
    if not results:
        click.echo("No consultation is past its retention period.")


@click.command("erase", cls=OneLineCommand)
@click.option("--consultation", "slug", required=True, help="The consultation's address name.")
@click.option("--receipt", required=True, help="The participant's receipt code.")
@click.option("--reason", required=True, help="Why (recorded in the audit log; no names).")
@click.option(
    "--as",
    "actor_email",
    default=None,
    help="Act as this staff account (it needs the right to edit the consultation).",
)
@with_appcontext
@one_line_errors
def erase_command(slug: str, receipt: str, reason: str, actor_email: str | None) -> None:
    """Erase the answers with a receipt code, in any state (a participant asked for it)."""
    from consult.models import utcnow
    from consult.services.erasure import erase_response_by_receipt
    from consult.services.transfer import find_consultation
    from consult.services.users import find_user

    consultation = find_consultation(db.session, slug)
    actor = None
    if actor_email is not None:
        actor = find_user(db.session, actor_email)
        if actor is None:
            raise CommandError(f"no staff account {actor_email}")
    erased = erase_response_by_receipt(db.session, actor, consultation, receipt, reason, utcnow())
    db.session.commit()
    click.echo(
        f"Erased {erased.answers} answer(s) of the response {erased.masked_code} in round "
        f"{erased.round_number} of {slug}; recorded in the audit log."
    )


def init_app(app: object) -> None:
    """Register the data protection commands."""
    for command in (backup_command, restore_command, purge_command, erase_command):
        app.cli.add_command(command)  # type: ignore[attr-defined]
