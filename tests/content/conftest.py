"""Content tests: copies of the real content/ to break, and the real API on the test database
(`--db`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REAL_CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the real content directory."""
    target = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def content_environment(kiosk_environment: dict[str, str]) -> dict[str, str]:
    """The kiosk API's test settings (tests/conftest.py), before any test imports the app."""
    return kiosk_environment


@pytest.fixture(scope="session")
def migrated_database(content_environment: dict[str, str]) -> None:
    """The migrated test database with the default site applied."""
    from kiosk_api.db import session_scope
    from tests.support.seeding import apply_default_site

    with session_scope(write=True) as session:
        apply_default_site(session)
