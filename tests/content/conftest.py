"""Content tests: copies of the real content/ to break, and the real API on a throwaway SQLite database."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="lotse-content-test-"))
# setdefault: when the whole tests/ tree runs in one session, tests/api's database settings win.
os.environ.setdefault("LOTSE_ENVIRONMENT", "test")
os.environ.setdefault("LOTSE_DATABASE_URL", f"sqlite:///{_TMP / 'lotse.db'}")
os.environ.setdefault("LOTSE_TRACKER_DATABASE_URL", f"sqlite:///{_TMP / 'tracker.db'}")
os.environ.setdefault("LOTSE_ARGOS_PACKAGES_DIR", str(_TMP / "argos"))
os.environ.setdefault("LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE", "100000")
os.environ.setdefault("LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE", "100000")
os.environ.setdefault("LOTSE_SECRET_KEY", "test-secret-key-with-enough-length-0123456789")
os.environ.setdefault("LOTSE_BOT_TOKEN", "test-bot-token-with-enough-length-0123456789")

REAL_CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the real content directory."""
    target = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, target)
    return target


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[None]:
    """The real Alembic migrations on the test database, with the default site applied."""
    from alembic import command

    from kiosk_api.config import get_settings
    from kiosk_api.db import get_engine, session_scope
    from kiosk_api.migrations import alembic_config
    from kiosk_api.sites.service import apply_site, read_site_file

    engine = get_engine()
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with session_scope(write=True) as session:
        settings = get_settings()
        apply_site(session=session, config=read_site_file(settings.sites_dir, settings.default_site))
    yield
    engine.dispose()
