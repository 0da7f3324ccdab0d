"""Options and session fixtures shared by every test folder.

`--db=sqlite|postgres` picks the kiosk database; PostgreSQL runs on the server named by
LOTSE_TEST_POSTGRES_URL (./scripts/with_postgres.sh starts one). Nothing here sets the
environment at import time or imports the kiosk API at module level: the bot's environment
loads this file too."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL_VARIABLE = "LOTSE_TEST_POSTGRES_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help=f"kiosk database of the tests (postgres: server at {POSTGRES_URL_VARIABLE})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "commits: the test needs real commits other threads or processes see; "
        "its rows are deleted afterwards instead of rolled back",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"kiosk database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def postgres_server_url(database_backend: str) -> str | None:
    """The PostgreSQL server to create test databases on, when --db=postgres."""
    if database_backend != "postgres":
        return None
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.exit(
            f"--db=postgres needs {POSTGRES_URL_VARIABLE}: run through ./scripts/with_postgres.sh",
            returncode=4,
        )
    return url


@pytest.fixture(scope="session")
def kiosk_environment(
    database_backend: str, postgres_server_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The kiosk API's LOTSE_* settings on a freshly migrated database; restored at the end.

    Live servers the tests start inherit them through os.environ."""
    from kiosk_api.config import get_settings
    from kiosk_api.db import build_engine, get_engine, get_sessionmaker
    from tests.support.databases import (
        drop_postgres_database,
        fresh_database,
        migrate,
        rasa_tracker_store,
    )

    scratch: Path = tmp_path_factory.mktemp("kiosk")
    database_name = "lotse_test_kiosk"
    url = fresh_database(
        database_backend,
        folder=scratch,
        name=database_name,
        postgres_server_url=postgres_server_url,
    )
    engine = build_engine(url)
    migrate(engine)
    engine.dispose()
    values = {
        "LOTSE_ENVIRONMENT": "test",
        "LOTSE_DATABASE_URL": url,
        "LOTSE_TRACKER_DATABASE_URL": rasa_tracker_store(scratch / "tracker.db"),
        "LOTSE_ARGOS_PACKAGES_DIR": str(scratch / "argos"),
        "LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000",
        "LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
        "LOTSE_SECRET_KEY": "test-secret-key-with-enough-length-0123456789",
        "LOTSE_BOT_TOKEN": "test-bot-token-with-enough-length-0123456789",
    }
    caches = (get_settings, get_engine, get_sessionmaker)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        for cache in caches:
            cache.cache_clear()
        try:
            yield values
        finally:
            get_engine().dispose()
            for cache in caches:
                cache.cache_clear()
    if postgres_server_url:
        drop_postgres_database(postgres_server_url, database_name)
