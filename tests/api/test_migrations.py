"""The Alembic migrations run both ways and build exactly the schema the models describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kiosk_api.db import build_engine
from kiosk_api.migrations import alembic_config
from kiosk_api.models import Base
from tests.support.databases import drop_postgres_database, fresh_database

SCRATCH_DATABASE = "lotse_migrations_scratch"


@pytest.fixture
def scratch_url(
    database_backend: str, postgres_server_url: str | None, tmp_path: Path
) -> Iterator[str]:
    """An empty database of the backend under test, apart from the one the other tests use."""
    yield fresh_database(
        database_backend,
        folder=tmp_path,
        name=SCRATCH_DATABASE,
        postgres_server_url=postgres_server_url,
    )
    if postgres_server_url:
        drop_postgres_database(postgres_server_url, SCRATCH_DATABASE)


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
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
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
