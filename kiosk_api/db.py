"""Engine and request-scoped sessions. The request owns the transaction: commit on success, roll
back on error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from kiosk_api.config import get_settings

# Session.connection(execution_options=WRITE_INTENT) begins SQLite transactions with BEGIN
# IMMEDIATE.
WRITE_INTENT = {"lotse_write_intent": True}


def build_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: a failed statement's error text must not carry personal data into logs.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # Writers take the lock up front; a deferred BEGIN fails with "database is locked" under
        # load.
        immediate = connection.get_execution_options().get("lotse_write_intent", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return build_engine(
        settings.database_url,
        pool_size=settings.sql_pool_size,
        max_overflow=settings.sql_max_overflow,
    )


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=True)


def begin_write(session: Session) -> None:
    """Start the transaction as a writer (BEGIN IMMEDIATE on SQLite); call before any query."""
    session.connection(execution_options=WRITE_INTENT)


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """A transaction outside a request (CLI, jobs)."""
    session = get_sessionmaker()()
    try:
        if write:
            begin_write(session)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
