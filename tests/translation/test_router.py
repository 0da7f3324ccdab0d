"""GET /api/v1/admin/translation/pairs through the real app: admins only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kiosk_api.config import get_settings
from kiosk_api.db import get_engine, get_sessionmaker, session_scope
from kiosk_api.translation import service

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client(engine, packages_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The app on the migrated test database, with the default site, an admin and a desk user;
    rolled back afterwards."""
    from kiosk_api.main import app
    from tests.support.databases import rolled_back
    from tests.support.seeding import StaffSeed, seed

    monkeypatch.setenv("LOTSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    for cached in (get_settings, get_engine, get_sessionmaker):
        cached.cache_clear()
    try:
        with rolled_back(get_engine(), get_sessionmaker()):
            with session_scope(write=True) as session:
                seed(
                    session,
                    staff=tuple(
                        StaffSeed(f"{role}-user", role, PASSWORD) for role in ("admin", "desk")
                    ),
                )
            with TestClient(app, raise_server_exceptions=False) as test_client:
                yield test_client
    finally:
        get_engine().dispose()
        for cached in (get_settings, get_engine, get_sessionmaker):
            cached.cache_clear()


def login(client: TestClient, role: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/staff/login", json={"username": f"{role}-user", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_admin_sees_installed_pairs_and_desk_routes(
    client: TestClient, argos_files: dict[str, Path]
) -> None:
    service.install_packages(argos_files["fa_en"])
    service.install_packages(argos_files["en_de"])

    response = client.get("/api/v1/admin/translation/pairs", headers=login(client, "admin"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert {(p["source_language"], p["target_language"]) for p in body["pairs"]} == {
        ("fa", "en"),
        ("en", "de"),
    }
    assert body["pivot_language"] == "en"
    fa_de = next(
        r
        for r in body["desk_routes"]
        if (r["source_language"], r["target_language"]) == ("fa", "de")
    )
    assert (fa_de["available"], fa_de["pivot_language"]) == (True, "en")
    assert body["cached_translations"] == 0


def test_pairs_are_for_admins_only(client: TestClient) -> None:
    assert client.get("/api/v1/admin/translation/pairs").status_code == 401
    response = client.get("/api/v1/admin/translation/pairs", headers=login(client, "desk"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_required"
