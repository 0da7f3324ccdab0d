"""`lotse init` sets up every site under sites/ and the area table, once; `lotse devices code`
gives a site's kiosk its enrolment code."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk_api.db import build_engine
from tests.support.databases import drop_postgres_database, fresh_database

SCRATCH = "lotse_init_scratch"

SHIPPED_SITES = sorted(path.parent.name for path in Path("sites").glob("*/site.yml"))


def lotse(database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "LOTSE_DATABASE_URL": database_url,
        "LOTSE_ADMIN_PASSWORD": "a first password for all sites",
    }
    done = subprocess.run(
        [sys.executable, "-m", "kiosk_api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rows(database_url: str, query: str) -> list[tuple]:
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


@pytest.fixture
def url(database_backend: str, postgres_server_url: str | None, tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test."""
    yield fresh_database(
        database_backend, folder=tmp_path, name=SCRATCH, postgres_server_url=postgres_server_url
    )
    if postgres_server_url:
        drop_postgres_database(postgres_server_url, SCRATCH)


def test_init_sets_up_every_site_and_the_area_table_once(url: str) -> None:
    assert {"dortmund", "solingen", "beispielstadt"} <= set(SHIPPED_SITES)
    first = lotse(url, "init", "--days", "2")
    assert all(f"site {code}: created" in first for code in SHIPPED_SITES)
    assert [row[0] for row in rows(url, "SELECT code FROM sites ORDER BY code")] == SHIPPED_SITES
    # one first admin, working for every site
    admins = rows(
        url,
        "SELECT s.code FROM staff_users u JOIN staff_sites m ON m.staff_id = u.id"
        " JOIN sites s ON s.id = m.site_id WHERE u.username = 'admin' ORDER BY s.code",
    )
    assert [row[0] for row in admins] == SHIPPED_SITES
    areas = rows(url, "SELECT COUNT(*) FROM service_areas")[0][0]
    assert areas > 0
    slots = rows(url, "SELECT COUNT(*) FROM slots")[0][0]

    again = lotse(url, "init", "--days", "2")
    assert all(f"site {code}: already set up" in again for code in SHIPPED_SITES)
    assert rows(url, "SELECT COUNT(*) FROM staff_users")[0][0] == 1
    assert rows(url, "SELECT COUNT(*) FROM service_areas")[0][0] == areas
    assert rows(url, "SELECT COUNT(*) FROM slots")[0][0] == slots

    made = lotse(url, "devices", "code", "--site", "solingen", "--kind", "display")
    assert "display 'Kiosk' of solingen: enrolment code KE-" in made
    assert rows(url, "SELECT s.code, d.kind FROM devices d JOIN sites s ON s.id = d.site_id") == [
        ("solingen", "display")
    ]
