"""Alembic environment for Consult (Flask-Migrate): batch mode for SQLite, portable types."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def render_item(type_, obj, autogen_context):
    """Render consult's column types as their portable base types, so that a migration never
    imports application code (models change; old migrations must not)."""
    from consult.models.base import Translated, UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, Translated):
        return "sa.JSON()"
    return False


def process_revision_directives(context, revision, directives):
    """Generate no empty revision when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_args():
    args = dict(migrate_ext.configure_args)
    args.setdefault("render_item", render_item)
    args.setdefault("process_revision_directives", process_revision_directives)
    return args


def run_migrations_offline():
    """Emit SQL for the configured database URL without connecting."""
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, **configure_args()
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations on a connection of the app's engine."""
    with migrate_ext.db.engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, **configure_args()
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
