"""API tests run against a real database: SQLite by default, PostgreSQL when LOTSE_TEST_POSTGRES_URL is set.

Each test starts from migrated, empty tables with the default site applied (no slots)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="lotse-test-"))
POSTGRES_URL = os.environ.get("LOTSE_TEST_POSTGRES_URL")
DATABASE_URL = POSTGRES_URL or f"sqlite:///{_TMP / 'lotse.db'}"
os.environ.update(
    {
        "LOTSE_ENVIRONMENT": "test",
        "LOTSE_DATABASE_URL": DATABASE_URL,
        "LOTSE_TRACKER_DATABASE_URL": f"sqlite:///{_TMP / 'tracker.db'}",
        "LOTSE_ARGOS_PACKAGES_DIR": str(_TMP / "argos"),
        "LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000",
        "LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
        "LOTSE_SECRET_KEY": "test-secret-key-with-enough-length-0123456789",
        "LOTSE_BOT_TOKEN": "test-bot-token-with-enough-length-0123456789",
    }
)

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from kiosk_api.config import get_settings  # noqa: E402
from kiosk_api.db import get_engine, session_scope  # noqa: E402
from kiosk_api.main import app  # noqa: E402
from kiosk_api.models import Base, Service, Site, Slot  # noqa: E402
from kiosk_api.ratelimit import limiter  # noqa: E402
from kiosk_api.sites.service import apply_site, read_site_file  # noqa: E402
from kiosk_api.staff.schemas import StaffCreate  # noqa: E402
from kiosk_api.staff.service import create_staff  # noqa: E402

BOT_TOKEN = os.environ["LOTSE_BOT_TOKEN"]
STAFF_PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.postgres)


def pytest_report_header() -> str:
    return f"kiosk database: {'PostgreSQL' if POSTGRES_URL else 'SQLite'} ({DATABASE_URL.split('@')[-1]})"


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> Iterator[None]:
    """Runs the real Alembic migrations once on an empty database."""
    from alembic import command

    from kiosk_api.migrations import alembic_config

    engine = get_engine()
    if POSTGRES_URL:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield
    engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(migrated_database: None) -> Iterator[None]:
    limiter.reset()
    with session_scope(write=True) as session:
        apply_site(session=session, config=read_site_file(get_settings().sites_dir, get_settings().default_site))
    yield
    engine = get_engine()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def site(session: Session) -> Site:
    return session.query(Site).filter_by(code=get_settings().default_site).one()


def make_slot(*, service_code: str = "integration_point", hours_ahead: float = 24, capacity: int = 1, language: str | None = None) -> int:
    """A slot starting `hours_ahead` from now; returns its id."""
    with session_scope(write=True) as session:
        the_site = site(session)
        service = session.query(Service).filter_by(site_id=the_site.id, code=service_code).one()
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_ahead)
        slot = Slot(site_id=the_site.id, service_id=service.id, starts_at=start, ends_at=start + timedelta(minutes=30),
                    capacity=capacity, interpreter_language=language)
        session.add(slot)
        session.flush()
        return slot.id


def make_staff(role: str = "desk", username: str | None = None) -> str:
    from kiosk_api.models.enums import StaffRole

    username = username or f"{role}-user"
    with session_scope(write=True) as session:
        create_staff(session=session, site=site(session), payload=StaffCreate(username=username, display_name=username.title(), role=StaffRole(role), password=STAFF_PASSWORD), actor_id=None)
    return username


def staff_headers(client: TestClient, role: str = "desk") -> dict[str, str]:
    username = make_staff(role)
    response = client.post("/api/v1/staff/login", json={"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def consent(client: TestClient, language: str = "ar", channel: str = "web_chat", headers: dict[str, str] | None = None, **extra: object) -> dict:
    notice = client.get("/api/v1/consent/notice", params={"language": language})
    assert notice.status_code == 200, notice.text
    response = client.post("/api/v1/consents", headers=headers or {}, json={"language": language, "notice_version": notice.json()["version"], "channel": channel, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def pin_headers(receipt: dict) -> dict[str, str]:
    return {"X-Lotse-Pin": receipt["pin"]}
