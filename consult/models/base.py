"""Declarative base, naming convention and the column types shared by every model."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, MetaData, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Translated(TypeDecorator[dict]):
    """A participant-facing text in every consultation language, ``{"tr": ..., "ar": ...}``.

    The translation scheme: each translatable field is a JSON object keyed by language code,
    stored on its owner's row (so a text lives and dies with what it describes). A language is
    missing when its key is absent or its text is blank; see ``consult.services.translations``.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: dict | None, dialect: Dialect) -> dict | None:
        if value is None:
            return None
        return {str(k): str(v) for k, v in value.items()}


def str_enum(enum_cls: type, length: int = 24) -> Enum:
    """A portable enum column: VARCHAR with a CHECK constraint, storing the members' values."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Base class of every model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict: JSON()},
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on and WAL journal for every SQLite connection (the busy timeout is the
    driver's ``timeout``: ``SQLITE_BUSY_TIMEOUT`` through ``create_app``, else 5 s).

    The driver's own transaction handling is switched off (``BEGIN`` is emitted in
    ``_sqlite_begin_immediate``), which also makes SAVEPOINTs work as documented.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn: Any) -> None:
    """Start SQLite transactions with ``BEGIN IMMEDIATE``.

    A deferred transaction that read before another connection committed cannot later write
    (SQLITE_BUSY_SNAPSHOT, raised at once, without waiting for the busy timeout); taking the
    write lock at ``BEGIN`` makes concurrent requests queue instead (as Django 5.1's
    ``transaction_mode="IMMEDIATE"``). Readers are never blocked in WAL mode.

    A connection with the execution option ``consult_deferred`` (long read-only work such as a
    background job's analysis) begins a deferred transaction instead, so that it does not hold
    the write lock while it computes; it must not write.
    """
    if conn.dialect.name == "sqlite":
        deferred = conn.get_execution_options().get("consult_deferred")
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
