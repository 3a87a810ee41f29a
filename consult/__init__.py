"""Consult: a participatory-consultation platform.

``create_app`` layers configuration as defaults in ``consult.config`` → ``instance/config.py`` →
``CONSULT_*`` environment variables (``CONSULT_DATABASE_URL`` sets the database).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

__version__ = "0.1.0"

ENV_PREFIX = "CONSULT_"


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration (message is one line for the operator)."""


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in routes: at most 2**31 - 1, the largest id PostgreSQL's integer holds
    (a larger number is a 404, not a database error)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: Any = None, max: Any = None) -> None:
        super().__init__(map, fixed_digits, min, 2**31 - 1 if max is None else max)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    The instance folder (``config.py``, the SQLite database) is ``instance/`` next to the
    package unless ``CONSULT_INSTANCE_PATH`` names another (absolute) folder.
    """
    instance = os.environ.get("CONSULT_INSTANCE_PATH") or None
    if instance is not None and not os.path.isabs(instance):
        raise ConfigurationError(
            f"CONSULT_INSTANCE_PATH must be an absolute path, not {instance!r}"
        )
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    app.config.from_object("consult.config")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        _load_environment(app)
    else:
        app.config.from_mapping(test_config)
    _configure_database(app)
    _check_languages(app)
    _refuse_development_secrets(app)

    from consult import (
        analyst,
        api,
        builder,
        cli,
        errors,
        extensions,
        facilitator,
        headers,
        i18n,
        ratelimits,
        security,
        web,
    )
    from consult.services import audit  # noqa: F401  (makes audit events append-only)

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(Path(__file__).parent.parent / "migrations")
    )
    extensions.csrf.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    extensions.limiter.init_app(app)
    web.init_app(app)
    ratelimits.init_app(app)  # limits around the participant views web.init_app registered
    facilitator.init_app(app)
    builder.init_app(app)
    analyst.init_app(app)
    api.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    cli.init_app(app)
    return app


def _load_environment(app: Flask) -> None:
    """Copy ``CONSULT_*`` variables into the config; JSON values are decoded when they parse."""
    for key, raw in os.environ.items():
        if not key.startswith(ENV_PREFIX) or key.startswith("CONSULT_TEST_"):
            continue
        name = key.removeprefix(ENV_PREFIX)
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if name == "DATABASE_URL":
            name = "SQLALCHEMY_DATABASE_URI"
        app.config[name] = value


def _configure_database(app: Flask) -> None:
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not uri:
        try:
            Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create the instance folder {app.instance_path}: {exc.strerror}"
            ) from None
        uri = "sqlite:///" + str(Path(app.instance_path) / "consult.sqlite3")
    if uri.startswith(("postgres://", "postgresql://")):
        uri = "postgresql+psycopg://" + uri.split("://", 1)[1]  # psycopg 3, not psycopg2
    # driver defaults, which explicit connect_args override: PostgreSQL gives up connecting after
    # 5 s; a SQLite transaction waits SQLITE_BUSY_TIMEOUT seconds for the write lock
    defaults = (
        {"connect_timeout": 5}
        if uri.startswith("postgresql")
        else {"timeout": float(app.config["SQLITE_BUSY_TIMEOUT"])}
        if uri.startswith("sqlite")
        else {}
    )
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**defaults, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["SQLALCHEMY_DATABASE_URI"] = uri


def _check_languages(app: Flask) -> None:
    from babel import Locale, UnknownLocaleError

    languages = app.config["LANGUAGES"]
    if isinstance(languages, str) or not languages:
        raise ConfigurationError("LANGUAGES must be a non-empty list of language codes")
    for code in languages:
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError, TypeError):
            raise ConfigurationError(f"unknown language code {code!r} in LANGUAGES") from None
    if app.config["BABEL_DEFAULT_LOCALE"] not in languages:
        raise ConfigurationError(
            f"BABEL_DEFAULT_LOCALE {app.config['BABEL_DEFAULT_LOCALE']!r} is not in LANGUAGES"
        )


def _refuse_development_secrets(app: Flask) -> None:
    from consult import config

    if app.debug or app.testing:
        return
    if (
        app.config["SECRET_KEY"] in (config.DEV_SECRET_KEY, "", None)
        or app.config["SECURITY_PASSWORD_SALT"] == config.SECURITY_PASSWORD_SALT
        or app.config["SECURITY_TOTP_SECRETS"] == config.SECURITY_TOTP_SECRETS
    ):
        raise ConfigurationError(
            "refusing to start with the development secret key: set SECRET_KEY, "
            "SECURITY_PASSWORD_SALT and SECURITY_TOTP_SECRETS in instance/config.py "
            "(make instance/config.py writes random ones) or as CONSULT_* variables"
        )
