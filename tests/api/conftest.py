"""API tests against a real, migrated database: SQLite by default, PostgreSQL with `--db=postgres`.

Each test sees the default site applied and no slots. Its writes are rolled back at the end;
tests marked `commits` (live servers, several threads, triggers) commit for real and their rows
are deleted afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kiosk_api import clock
from kiosk_api.db import session_scope
from kiosk_api.models import Site
from tests.support import seeding
from tests.support.ports import free_port
from tests.support.processes import uvicorn_server

# the kiosk_environment fixture's LOTSE_BOT_TOKEN
BOT_TOKEN = "test-bot-token-with-enough-length-0123456789"
STAFF_PASSWORD = "correct horse battery staple"
SITE_ZONE = "Europe/Berlin"  # sites/dortmund/site.yml

LiveServer = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="session", autouse=True)
def api_environment(kiosk_environment: dict[str, str]) -> dict[str, str]:
    assert kiosk_environment["LOTSE_BOT_TOKEN"] == BOT_TOKEN
    return kiosk_environment


@pytest.fixture(autouse=True)
def database_state(
    request: pytest.FixtureRequest, api_environment: dict[str, str]
) -> Iterator[None]:
    """The default site in a transaction rolled back after the test; real commits and a cleanup
    for `commits` tests."""
    from kiosk_api.db import get_engine, get_sessionmaker
    from kiosk_api.ratelimit import limiter
    from tests.support.databases import empty_tables, rolled_back

    limiter.reset()
    if request.node.get_closest_marker("commits"):
        with session_scope(write=True) as session:
            seeding.apply_default_site(session)
        try:
            yield
        finally:
            empty_tables(get_engine())
        return
    with rolled_back(get_engine(), get_sessionmaker()):
        with session_scope(write=True) as session:
            seeding.apply_default_site(session)
        yield


@pytest.fixture
def weekday_morning() -> Iterator[datetime]:
    """The kiosk API's clock at 10:00 on the site's next weekday: a visit then has its day ahead."""
    day = clock.today_in(SITE_ZONE) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    moment = datetime.combine(day, time(10), ZoneInfo(SITE_ZONE))
    clock.shift_to(moment)
    yield moment
    clock.reset()


@pytest.fixture
def client() -> Iterator[TestClient]:
    from kiosk_api.main import app

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


@pytest.fixture
def live_server(tmp_path: Path) -> LiveServer:
    """live_server(workers=2, extra_env={...}): the kiosk API on the test database in a process of
    its own.

    Its whole output is in tmp_path/kiosk-api.log after the block."""
    import os

    @contextmanager
    def start(workers: int = 2, extra_env: dict[str, str] | None = None) -> Iterator[str]:
        port = free_port()
        env = {**os.environ, "LOTSE_PORT": str(port), **(extra_env or {})}
        with uvicorn_server(
            "kiosk_api.main:app",
            env=env,
            port=port,
            log_dir=tmp_path,
            name="kiosk-api",
            workers=workers,
        ) as base:
            yield base

    return start


def site(session: Session) -> Site:
    return seeding.default_site(session)


def make_slot(
    *,
    service_code: str = "integration_point",
    hours_ahead: float = 24,
    capacity: int = 1,
    language: str | None = None,
) -> int:
    """A slot starting `hours_ahead` from now; returns its id."""
    with session_scope(write=True) as session:
        slot = seeding.add_slot(
            session,
            site=site(session),
            service_code=service_code,
            starts_at=seeding.slot_in(hours_ahead),
            capacity=capacity,
            language=language,
        )
        return slot.id


def make_staff(role: str = "desk", username: str | None = None) -> str:
    username = username or f"{role}-user"
    with session_scope(write=True) as session:
        seeding.add_staff(
            session, site=site(session), username=username, role=role, password=STAFF_PASSWORD
        )
    return username


def staff_headers(client: TestClient, role: str = "desk") -> dict[str, str]:
    username = make_staff(role)
    response = client.post(
        "/api/v1/staff/login", json={"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def consent(
    client: TestClient,
    language: str = "ar",
    channel: str = "web_chat",
    headers: dict[str, str] | None = None,
    **extra: object,
) -> dict:
    notice = client.get("/api/v1/consent/notice", params={"language": language})
    assert notice.status_code == 200, notice.text
    response = client.post(
        "/api/v1/consents",
        headers=headers or {},
        json={
            "language": language,
            "notice_version": notice.json()["version"],
            "channel": channel,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def pin_headers(receipt: dict) -> dict[str, str]:
    return {"X-Lotse-Pin": receipt["pin"]}
