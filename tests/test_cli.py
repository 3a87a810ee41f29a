"""The command line: users, bad input gives one line and exit status 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from consult.models import AuditEvent, User

pytestmark = pytest.mark.db


def test_users_create_generates_a_password_shown_once(runner, session):
    result = runner.invoke(args=["users", "create", "Ayse.Yilmaz@example.org", "--role", "admin"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password (shown once): ")[1].strip()
    assert len(password) >= 16
    user = session.scalar(select(User))
    assert user.email == "ayse.yilmaz@example.org"
    assert [r.name for r in user.roles] == ["admin"]
    assert password not in (user.password or "")  # stored hashed
    assert session.scalar(select(AuditEvent.action)) == "user.create"


def test_users_create_reads_the_password_from_stdin(app, runner, session):
    from flask_security import verify_password

    result = runner.invoke(
        args=["users", "create", "analyst@example.org", "--role", "analyst", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    user = session.scalar(select(User))
    assert user.password.startswith("$argon2id$")
    assert verify_password("correct horse battery", user.password)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["users", "create", "not-an-email", "--role", "admin"], None, "not an e-mail"),
        (["users", "create", "a@example.org", "--role", "boss"], None, "unknown role"),
        (
            ["users", "create", "a@example.org", "--role", "admin", "--password-stdin"],
            "short\n",
            "at least 12",
        ),
        (["demo", "--responses", "-5"], None, "between 0 and"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, session, args, stdin, message):
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert session.scalar(select(User)) is None


def test_duplicate_user_is_refused(runner, session):
    assert (
        runner.invoke(args=["users", "create", "x@example.org", "--role", "admin"]).exit_code == 0
    )
    result = runner.invoke(args=["users", "create", "X@example.org", "--role", "analyst"])
    assert result.exit_code == 2
    assert "already exists" in result.output


def _consult(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "FLASK_"))}
    # a folder of its own: a developer's instance/config.py must not change what is tested
    environment["CONSULT_INSTANCE_PATH"] = str(tmp_path / "instance")
    environment.update(env)
    script = Path(sys.executable).with_name("consult")
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "development secret key"),
        (
            {"FLASK_DEBUG": "1", "CONSULT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
            "database error",
        ),
        ({"FLASK_DEBUG": "1", "CONSULT_LANGUAGES": '["tr", "zz-bogus"]'}, "unknown language"),
    ],
)
def test_console_script_errors_are_one_line_without_traceback(tmp_path, env, message):
    proc = _consult(tmp_path, "demo", **env)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1


def test_console_script_is_the_flask_cli(tmp_path):
    proc = _consult(tmp_path, "--help", FLASK_DEBUG="1")
    assert proc.returncode == 0
    for command in ("demo", "users", "db", "run", "routes"):
        assert command in proc.stdout
