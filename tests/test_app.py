"""The app factory: configuration layering, secrets refused in production, languages, SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from consult import ConfigurationError, create_app
from consult.extensions import db


def _env_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(tmp_path / "instance"))  # not the developer's
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return create_app()


def test_refuses_development_secret_outside_debug(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="development secret key"):
        _env_app(monkeypatch, tmp_path, CONSULT_DATABASE_URL="sqlite://")


def test_environment_overrides_defaults_and_selects_database(monkeypatch, tmp_path):
    app = _env_app(
        monkeypatch,
        tmp_path,
        CONSULT_SECRET_KEY="k" * 32,
        CONSULT_SECURITY_PASSWORD_SALT="s" * 16,
        CONSULT_SECURITY_TOTP_SECRETS='{"1": "t"}',
        CONSULT_DATABASE_URL="postgresql://u@db.example:5432/consult",
        CONSULT_MIN_GROUP_SIZE="7",
    )
    assert app.config["SECRET_KEY"] == "k" * 32
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example:5432/consult"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 5
    assert app.config["MIN_GROUP_SIZE"] == 7  # JSON-decoded


def test_instance_config_file_is_read_and_env_wins(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "SECRET_KEY = 'from-file'\nSECURITY_PASSWORD_SALT = 'salt-file'\n"
        "SECURITY_TOTP_SECRETS = {'1': 'x'}\nDEMO_SEED = 7\n"
    )
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = _env_app(monkeypatch, tmp_path, CONSULT_DEMO_SEED="9")
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["DEMO_SEED"] == 9
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'consult.sqlite3'}"


def test_unwritable_instance_folder_is_a_one_line_error(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(
        "flask.Flask.auto_find_instance_path", lambda self: str(blocker / "instance")
    )
    with pytest.raises(ConfigurationError, match="cannot create the instance folder"):
        create_app({"TESTING": True})


@pytest.mark.parametrize("languages", [["tr", "xx-nonsense"], [], "tr"])
def test_unknown_language_codes_are_refused(languages):
    with pytest.raises(ConfigurationError):
        create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "LANGUAGES": languages}
        )


def test_sqlite_connections_enforce_foreign_keys_wal_and_busy_timeout(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 5000
        db.engine.dispose()


def test_security_uses_argon2_and_generic_responses():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECURITY_PASSWORD_HASH"] == "argon2"
    assert app.config["SECURITY_RETURN_GENERIC_RESPONSES"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"] > 0


def test_instance_path_must_be_absolute(monkeypatch, tmp_path):
    with pytest.raises(ConfigurationError, match="absolute path"):
        _env_app(monkeypatch, tmp_path, CONSULT_INSTANCE_PATH="relative/instance")
