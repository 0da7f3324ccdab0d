"""The Alembic migrations run both ways and build exactly the schema the models describe."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text

from kiosk_api.db import build_engine
from kiosk_api.migrations import alembic_config
from kiosk_api.models import Base
from tests.api.conftest import _TMP, POSTGRES_URL

SCRATCH_DATABASE = "lotse_migrations_scratch"


@pytest.fixture
def scratch_url() -> Iterator[str]:
    """An empty database of the backend under test, apart from the one the other tests use."""
    if not POSTGRES_URL:
        path = _TMP / "migrations.db"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE}"))
        connection.execute(text(f"CREATE DATABASE {SCRATCH_DATABASE}"))
    try:
        yield make_url(POSTGRES_URL).set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)"))
        admin.dispose()


def tables(url: str) -> set[str]:
    engine = build_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def differences(url: str) -> list:  # type: ignore[type-arg]
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    config = alembic_config(scratch_url)
    command.upgrade(config, "head")
    assert tables(scratch_url) == set(Base.metadata.tables)
    command.downgrade(config, "base")
    assert tables(scratch_url) == set()
    command.upgrade(config, "head")
    assert tables(scratch_url) == set(Base.metadata.tables)


def test_models_and_migrations_agree(scratch_url: str) -> None:
    command.upgrade(alembic_config(scratch_url), "head")
    assert differences(scratch_url) == []


def test_the_comparison_would_notice_a_missing_column(scratch_url: str) -> None:
    command.upgrade(alembic_config(scratch_url), "head")
    engine = build_engine(scratch_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE sites ADD COLUMN stray_column INTEGER"))
    engine.dispose()
    assert [diff[0] for diff in differences(scratch_url)] == ["remove_column"]
