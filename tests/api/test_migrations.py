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


def test_a_single_site_database_becomes_a_deployment_of_sites_without_loss(
    scratch_url: str,
) -> None:
    """0005: every account keeps the site it had, now as a membership; down again, as before."""
    config = alembic_config(scratch_url)
    command.upgrade(config, "0004")
    engine = build_engine(scratch_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sites (id, code, name, timezone, retention_days, routing_rules, desks)"
                " VALUES (1, 'dortmund', 'Jobcenter Dortmund', 'Europe/Berlin', 90,"
                " 'routing.yml', 4)"
            )
        )
        for staff_id, username, role in ((1, "admin", "admin"), (2, "empfang", "desk")):
            connection.execute(
                text(
                    "INSERT INTO staff_users (id, site_id, username, display_name, password_hash,"
                    " role, active, must_change_password, created_at) VALUES (:id, 1, :username,"
                    " :username, 'hash', :role, :active, :change, '2026-11-02 09:00:00+00:00')"
                ),
                {
                    "id": staff_id,
                    "username": username,
                    "role": role,
                    "active": True,
                    "change": False,
                },
            )
        # rows pointing at the rebuilt tables survive (SQLite rebuilds sites and staff_users)
        connection.execute(
            text(
                "INSERT INTO staff_sessions (id, staff_id, token_hash, created_at, expires_at)"
                " VALUES (1, 2, 'token', '2026-11-02 09:00:00+00:00', '2026-11-02 17:00:00+00:00')"
            )
        )
    engine.dispose()

    command.upgrade(config, "head")
    engine = build_engine(scratch_url)
    with engine.connect() as connection:
        memberships = connection.execute(
            text("SELECT staff_id, site_id FROM staff_sites ORDER BY staff_id")
        ).all()
        staff = connection.execute(
            text("SELECT id, username, role, password_hash FROM staff_users ORDER BY id")
        ).all()
        site = connection.execute(text("SELECT code, name, desks, active FROM sites")).one()
        sessions = connection.execute(text("SELECT staff_id FROM staff_sessions")).all()
    engine.dispose()
    assert [tuple(row) for row in sessions] == [(2,)]
    assert [tuple(row) for row in memberships] == [(1, 1), (2, 1)]
    assert [tuple(row) for row in staff] == [
        (1, "admin", "admin", "hash"),
        (2, "empfang", "desk", "hash"),
    ]
    assert tuple(site) == ("dortmund", "Jobcenter Dortmund", 4, True)

    command.downgrade(config, "0004")
    engine = build_engine(scratch_url)
    with engine.connect() as connection:
        back = connection.execute(
            text("SELECT id, site_id, username FROM staff_users ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(row) for row in back] == [(1, 1, "admin"), (2, 1, "empfang")]
