"""A password someone else chose (the first admin's, an account an admin made or reset) is changed
by its owner at the first login; tests/security/test_first_password.py attacks a real server."""

from __future__ import annotations

from sqlalchemy import select

from kiosk_api.db import session_scope
from kiosk_api.models import AuditEvent, StaffUser
from tests.api.conftest import STAFF_PASSWORD, make_staff, site, staff_headers

NEW_PASSWORD = "a password of my own 2026"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def flagged(username: str) -> bool:
    with session_scope() as session:
        return bool(
            session.scalar(
                select(StaffUser.must_change_password).where(StaffUser.username == username)
            )
        )


def created_by_admin(client, username: str, password: str = STAFF_PASSWORD) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An account an admin made through the API, logged in; the session's headers."""
    admin = staff_headers(client, "admin")
    made = client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={"username": username, "display_name": username, "role": "desk", "password": password},
    )
    assert made.status_code == 201, made.text
    login = client.post("/api/v1/staff/login", json={"username": username, "password": password})
    assert login.status_code == 200 and login.json()["must_change_password"] is True
    return bearer(login.json()["access_token"])


def test_the_first_admin_and_accounts_made_by_an_admin_change_their_password_first() -> None:
    from kiosk_api.staff.service import ensure_admin

    with session_scope(write=True) as session:
        admin, created = ensure_admin(
            session=session, site=site(session), username="first", password=STAFF_PASSWORD
        )
        assert created and admin is not None and admin.must_change_password is True
    make_staff("desk", "seeded")
    assert flagged("first") and not flagged("seeded")


def test_until_the_change_a_session_may_only_change_the_password_see_itself_and_log_out(
    client,
) -> None:  # type: ignore[no-untyped-def]
    headers = created_by_admin(client, "nour")
    refused = client.get("/api/v1/staff/queue", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "password_change_required"
    me = client.get("/api/v1/staff/me", headers=headers)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    changed = client.post(
        "/api/v1/staff/me/password",
        headers=headers,
        json={"current_password": STAFF_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    assert client.get("/api/v1/staff/queue", headers=headers).status_code == 200
    assert client.get("/api/v1/staff/me", headers=headers).json()["must_change_password"] is False
    assert client.post("/api/v1/staff/logout", headers=headers).status_code == 204


def test_an_admin_resetting_someone_elses_password_makes_them_change_it_not_their_own(
    client,
) -> None:  # type: ignore[no-untyped-def]
    make_staff("desk", "lea")
    admin = staff_headers(client, "admin")
    with session_scope() as session:
        ids = {
            row.username: row.id
            for row in session.execute(select(StaffUser.username, StaffUser.id))
        }
    reset = client.patch(
        f"/api/v1/admin/staff/{ids['lea']}", headers=admin, json={"password": NEW_PASSWORD}
    )
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    own = client.patch(
        f"/api/v1/admin/staff/{ids['admin-user']}", headers=admin, json={"password": NEW_PASSWORD}
    )
    assert own.status_code == 200 and own.json()["must_change_password"] is False


def test_the_new_password_is_neither_the_username_nor_the_current_one(client) -> None:  # type: ignore[no-untyped-def]
    headers = created_by_admin(client, "maria.schneider")
    for new_password, code in (
        ("Maria.Schneider", "password_is_username"),
        (STAFF_PASSWORD, "password_unchanged"),
        ("too short", "validation_error"),
    ):
        refused = client.post(
            "/api/v1/staff/me/password",
            headers=headers,
            json={"current_password": STAFF_PASSWORD, "new_password": new_password},
        )
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code
    assert flagged("maria.schneider")


def test_a_wrong_current_password_is_audited_and_counts_as_a_failed_login(client) -> None:  # type: ignore[no-untyped-def]
    from kiosk_api.config import get_settings

    headers = created_by_admin(client, "nour")
    settings = get_settings()
    saved = settings.login_max_failures
    settings.login_max_failures = 3
    try:
        wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD}
        for _ in range(3):
            refused = client.post("/api/v1/staff/me/password", headers=headers, json=wrong)
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "wrong_current_password"
        right = {"current_password": STAFF_PASSWORD, "new_password": NEW_PASSWORD}
        locked = client.post("/api/v1/staff/me/password", headers=headers, json=right)
        assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
        login = client.post(
            "/api/v1/staff/login", json={"username": "nour", "password": STAFF_PASSWORD}
        )
        assert login.status_code == 429
    finally:
        settings.login_max_failures = saved
    with session_scope() as session:
        failed = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "staff.password_change_failed")
        ).all()
    assert len(failed) == 3 and flagged("nour")
