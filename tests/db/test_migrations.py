"""Migrations are the only way the schema changes: they reach head and agree with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from consult.extensions import db

pytestmark = pytest.mark.db


def test_upgrade_to_head_matches_models(app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, db.metadata)
        head = context.get_current_revision()
    assert diff == []
    assert head is not None


def test_downgrade_to_base_and_back(database_url: str, migrated_url: str) -> None:
    from tests.conftest import make_test_app

    app = make_test_app(migrated_url)
    with app.app_context():
        downgrade(revision="base")
        tables = set(db.inspect(db.engine).get_table_names())
        assert tables <= {"alembic_version"}
        upgrade()
        assert "answers" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()
