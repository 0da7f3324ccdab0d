"""Gap 8: the first admin kept the password `lotse init` set (from the environment or a file on the
server) for as long as nobody changed it. Now its first login can only change the password, see
itself and log out; everything else waits for the change.

Each test sets up a kiosk API as production does: `lotse init` makes the first admin, then the
server runs in the production environment on a database of its own."""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.processes import ROOT, uvicorn_server

INITIAL_PASSWORD = "initial password from the environment"
NEW_PASSWORD = "the first admin's own passphrase"
CHANGE = "/api/v1/staff/me/password"
# What a login with a password someone else chose may still call; no other staff endpoint.
ALLOWED = {("POST", CHANGE), ("POST", "/api/v1/staff/logout"), ("GET", "/api/v1/staff/me")}
# Event streams stay out of the OpenAPI schema (an endless answer); this one is for staff.
STAFF_STREAMS = [("GET", "/api/v1/staff/queue/stream")]


@dataclass(frozen=True)
class FirstRun:
    http: httpx.Client
    database: Path

    def login(self, password: str = INITIAL_PASSWORD) -> httpx.Response:
        return self.http.post(
            "/api/v1/staff/login", json={"username": "admin", "password": password}
        )

    def session(self, password: str = INITIAL_PASSWORD) -> dict[str, str]:
        response = self.login(password)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def audit(self, action: str) -> list[tuple[int | None, str]]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(
                "SELECT actor_id, details FROM audit_events WHERE action = ?", (action,)
            ).fetchall()


def lotse_command() -> list[str]:
    script = Path(sys.executable).with_name("lotse")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kiosk_api.cli"]


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """The environment of a production server and a database `lotse init` set up with it."""
    folder = tmp_path_factory.mktemp("first-password")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LOTSE_", "RASA_"))},
        "LOTSE_ENVIRONMENT": "production",
        "LOTSE_DATABASE_URL": f"sqlite:///{folder / 'initialised.db'}",
        "LOTSE_TRACKER_DATABASE_URL": f"sqlite:///{folder / 'tracker.db'}",
        "LOTSE_SECRET_KEY": secrets.token_urlsafe(48),
        "LOTSE_BOT_TOKEN": secrets.token_urlsafe(48),
        "LOTSE_ADMIN_PASSWORD": INITIAL_PASSWORD,
        "LOTSE_NOTIFICATION_DISPATCHER": "false",
        # the enumeration below calls every public operation once from this address
        "LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000",
    }
    init = subprocess.run(
        [*lotse_command(), "init", "--days", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stderr
    assert "first admin: user 'admin', password from LOTSE_ADMIN_PASSWORD" in init.stdout
    return env, folder / "initialised.db"


@pytest.fixture
def first_run(initialised: tuple[dict[str, str], Path], tmp_path: Path) -> Iterator[FirstRun]:
    """The kiosk API on a copy of the initialised database: each test meets the admin as
    `lotse init` left it."""
    env, template = initialised
    database = tmp_path / "lotse.db"
    with sqlite3.connect(template) as source, sqlite3.connect(database) as copy:
        source.backup(copy)
    port = free_port()
    env = {**env, "LOTSE_DATABASE_URL": f"sqlite:///{database}", "LOTSE_PORT": str(port)}
    with (
        uvicorn_server("kiosk_api.main:app", env=env, port=port, log_dir=tmp_path) as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        yield FirstRun(http, database)


def staff_operations(http: httpx.Client) -> list[tuple[str, str]]:
    """Every operation of the schema that asks for a staff login: without a token it answers 401
    with a Bearer challenge. Path parameters get a placeholder; staff logins are checked before
    them."""
    schema = http.get("/openapi.json").json()
    found = []
    for template, operations in schema["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method in operations:
            answer = http.request(method.upper(), path)
            if answer.status_code == 401 and answer.headers.get("www-authenticate") == "Bearer":
                found.append((method.upper(), path))
    return found + STAFF_STREAMS


def test_the_first_admin_may_only_change_the_password_until_it_is_changed(
    first_run: FirstRun,
) -> None:
    login = first_run.login()
    assert login.status_code == 200 and login.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = first_run.http.get("/api/v1/staff/me", headers=headers)
    assert me.status_code == 200 and me.json()["must_change_password"] is True

    operations = staff_operations(first_run.http)
    assert ("POST", "/api/v1/admin/staff") in operations and len(operations) > 30
    refused = {}
    for method, path in operations:
        if (method, path) in ALLOWED:
            continue
        answer = first_run.http.request(method, path, headers=headers)
        refused[(method, path)] = (answer.status_code, answer.json()["error"]["code"])
    assert set(refused.values()) == {(403, "password_change_required")}, refused
    # the flag holds: nothing above changed it
    assert first_run.http.get("/api/v1/staff/me", headers=headers).json()["must_change_password"]


def test_a_wrong_current_password_or_a_weak_or_unchanged_new_one_is_refused(
    first_run: FirstRun,
) -> None:
    headers = first_run.session()
    wrong = first_run.http.post(
        CHANGE,
        headers=headers,
        json={"current_password": "a guessed password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_current_password"
    for new_password, code in (
        (INITIAL_PASSWORD, "password_unchanged"),
        ("admin", "validation_error"),
        ("short", "validation_error"),
    ):
        refused = first_run.http.post(
            CHANGE,
            headers=headers,
            json={"current_password": INITIAL_PASSWORD, "new_password": new_password},
        )
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code
    still = first_run.http.get("/api/v1/admin/staff", headers=headers)
    assert still.status_code == 403 and still.json()["error"]["code"] == "password_change_required"
    assert len(first_run.audit("staff.password_change_failed")) == 1
    assert first_run.audit("staff.password_changed") == []


def test_after_the_change_the_admin_works_and_the_old_password_and_sessions_are_gone(
    first_run: FirstRun,
) -> None:
    other = first_run.session()  # e.g. whoever else read the initial password
    current = first_run.session()
    changed = first_run.http.post(
        CHANGE,
        headers=current,
        json={"current_password": INITIAL_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text

    # `lotse init` made one first admin for every site: the admin pages name the site
    at_dortmund = {**current, "X-Lotse-Site": "dortmund"}
    staff = first_run.http.get("/api/v1/admin/staff", headers=at_dortmund)
    assert staff.status_code == 200
    assert [person["must_change_password"] for person in staff.json()] == [False]
    assert first_run.http.get("/api/v1/admin/site", headers=at_dortmund).status_code == 200
    ended = first_run.http.get("/api/v1/staff/me", headers=other)
    assert ended.status_code == 401 and ended.json()["error"]["code"] == "session_expired"

    old = first_run.login(INITIAL_PASSWORD)
    assert old.status_code == 401 and old.json()["error"]["code"] == "invalid_credentials"
    again = first_run.login(NEW_PASSWORD)
    assert again.status_code == 200 and again.json()["must_change_password"] is False

    [(actor_id, details)] = first_run.audit("staff.password_changed")
    assert actor_id == staff.json()[0]["id"] and '"other_sessions_ended": 1' in details
