"""Command line: ``consult <command>`` is ``flask --app consult <command>``.

Every failure a user can cause prints one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from consult.extensions import db


class CommandError(click.ClickException):
    """A one-line error with exit status 2."""

    exit_code = 2


def one_line_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn service and database errors into a one-line message, exit 2, nothing written."""
    from consult.services.errors import ServiceError

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            db.session.rollback()
            raise CommandError(exc.message) from None
        except DBAPIError as exc:
            db.session.rollback()
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise CommandError(f"database error ({_safe_url()}): {first}") from None
        except SQLAlchemyError as exc:
            db.session.rollback()
            raise CommandError(f"database error ({_safe_url()}): {type(exc).__name__}") from None

    return wrapper


def _safe_url() -> str:
    return db.engine.url.render_as_string(hide_password=True)


@click.command("demo")
@click.option("--responses", default=None, type=int, help="Synthetic responses (default 123).")
@click.option("--seed", default=None, type=int, help="Random seed (default 2019).")
@with_appcontext
@one_line_errors
def demo_command(responses: int | None, seed: int | None) -> None:
    """Load the demo consultations: migration-action-plan (with responses) and question-types."""
    from flask import current_app

    from consult.services.demo import load_demo
    from consult.services.demo_question_types import load_question_types_demo

    cfg = current_app.config
    results = [
        load_demo(
            db.session,
            responses=cfg["DEMO_RESPONSES"] if responses is None else responses,
            seed=cfg["DEMO_SEED"] if seed is None else seed,
        ),
        load_question_types_demo(db.session),
    ]
    db.session.commit()
    for result in results:
        if result.created:
            click.echo(f"Loaded demo consultation {result.slug} with {result.responses} responses.")
        else:
            click.echo(
                f"Demo consultation {result.slug} already exists ({result.responses} responses); "
                "nothing changed."
            )


@click.group("users")
def users_group() -> None:
    """Manage staff accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help="admin, facilitator or analyst.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
@one_line_errors
def create_user_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; without --password-stdin a password is generated and shown once."""
    from consult.security import user_datastore
    from consult.services.users import create_user, generate_password

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    create_user(db.session, user_datastore, email, role, password)
    db.session.commit()
    click.echo(f"Created {role} account {email.strip()}.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


def init_app(app: Flask) -> None:
    """Register the app's commands."""
    app.cli.add_command(demo_command)
    app.cli.add_command(users_group)


def _create_app_or_exit() -> Flask:
    from consult import ConfigurationError, create_app

    try:
        return create_app()
    except ConfigurationError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


def main() -> None:
    """Entry point of the ``consult`` console script."""
    FlaskGroup(create_app=_create_app_or_exit).main()
