"""Test databases: a fresh SQLite file or PostgreSQL database, migrated with the real migrations.

Needs the kiosk API environment (.venv). In-process tests roll back instead of deleting rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

BACKENDS = ("sqlite", "postgres")
POSTGRES_URL_VARIABLE = "LOTSE_TEST_POSTGRES_URL"


def sqlite_url(folder: Path, name: str = "lotse.db") -> str:
    return f"sqlite:///{folder / name}"


def fresh_postgres_database(server_url: str, name: str) -> str:
    """Drops and creates database `name` on the server of `server_url`; returns its URL."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def fresh_database(
    backend: str, *, folder: Path, name: str, postgres_server_url: str | None
) -> str:
    """An empty database `name`: a file in `folder`, or a database on the PostgreSQL server."""
    if backend == "sqlite":
        path = folder / f"{name}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if not postgres_server_url:
        raise RuntimeError(
            f"--db=postgres needs {POSTGRES_URL_VARIABLE}: run through ./scripts/with_postgres.sh"
        )
    return fresh_postgres_database(postgres_server_url, name)


def migrate(engine: Engine) -> None:
    """The real Alembic migrations up to head."""
    from alembic import command

    from kiosk_api.migrations import alembic_config

    # not begun: the migrations open (and on SQLite, with foreign keys off, check) their own
    with engine.connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def empty_tables(engine: Engine) -> None:
    """Deletes every row, children first: for tests whose writes other connections had to see."""
    from kiosk_api.models import Base

    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@contextmanager
def rolled_back(engine: Engine, maker: sessionmaker[Session]) -> Iterator[Connection]:
    """Sessions from `maker` join one outer transaction through SAVEPOINTs, rolled back at the end.

    For code that opens its sessions one at a time on one connection (the in-process TestClient)."""
    saved = {key: maker.kw[key] for key in ("bind", "join_transaction_mode") if key in maker.kw}
    connection = engine.connect()
    outer = connection.begin()
    maker.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        maker.kw.pop("join_transaction_mode", None)
        maker.configure(**saved)
        outer.rollback()
        connection.close()


# Rasa 3.6's SQLTrackerStore table, as Rasa creates it on its first start.
RASA_EVENTS_TABLE = (
    "CREATE TABLE IF NOT EXISTS events (id INTEGER NOT NULL PRIMARY KEY, "
    "sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL, timestamp FLOAT, "
    "intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
)


def rasa_tracker_store(path: Path) -> str:
    """An SQLite tracker store as a running Rasa leaves it (the events table, empty); its URL."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute(RASA_EVENTS_TABLE)
    return f"sqlite:///{path}"
