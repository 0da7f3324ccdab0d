from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from kiosk_api.db import session_scope
from kiosk_api.models import AuditEvent, StaffSession, StaffUser, utcnow
from tests.api.conftest import STAFF_PASSWORD, consent, make_staff, pin_headers, staff_headers


def test_passwords_are_stored_as_argon2_hashes() -> None:
    make_staff("desk", "lea")
    with session_scope() as session:
        stored = session.scalar(select(StaffUser.password_hash).where(StaffUser.username == "lea"))
    assert stored.startswith("$argon2id$") and STAFF_PASSWORD not in stored


def test_a_wrong_password_is_refused_and_audited(client) -> None:
    make_staff("desk", "lea")
    response = client.post(
        "/api/v1/staff/login", json={"username": "lea", "password": "wrong password"}
    )
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_credentials"
    unknown = client.post(
        "/api/v1/staff/login", json={"username": "nobody", "password": "wrong password"}
    )
    assert unknown.json()["error"]["code"] == "invalid_credentials"
    with session_scope() as session:
        assert (
            session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "staff.login_failed")
            )
            == 2
        )


def test_staff_endpoints_need_a_valid_unexpired_token(client) -> None:
    assert client.get("/api/v1/staff/queue").status_code == 401
    assert (
        client.get("/api/v1/staff/queue", headers={"Authorization": "Bearer made-up"}).status_code
        == 401
    )
    headers = staff_headers(client, "desk")
    assert client.get("/api/v1/staff/queue", headers=headers).status_code == 200
    with session_scope(write=True) as session:
        session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = client.get("/api/v1/staff/queue", headers=headers)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "session_expired"


def test_logout_ends_the_session(client) -> None:
    headers = staff_headers(client, "desk")
    assert client.post("/api/v1/staff/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/staff/me", headers=headers).status_code == 401


def test_roles_decide_what_staff_may_do(client) -> None:
    desk = staff_headers(client, "desk")
    assert client.get("/api/v1/admin/site", headers=desk).json()["error"]["code"] == "role_required"
    admin = staff_headers(client, "admin")
    assert client.get("/api/v1/admin/site", headers=admin).status_code == 200
    assert client.get("/api/v1/staff/queue", headers=admin).status_code == 200


def test_every_staff_read_of_a_record_is_audited(client) -> None:
    receipt = consent(client)
    client.patch(
        f"/api/v1/intakes/{receipt['reference_code']}",
        headers=pin_headers(receipt),
        json={"given_name": "Nour", "submit": True},
    )
    ticket = client.post(
        "/api/v1/checkins",
        headers=pin_headers(receipt),
        json={"reference_code": receipt["reference_code"]},
    ).json()
    desk = staff_headers(client, "desk")
    record_id = client.get("/api/v1/staff/queue", headers=desk).json()[0]["intake"]["id"]
    client.get(f"/api/v1/staff/intakes/{record_id}", headers=desk)
    client.get(f"/api/v1/staff/intakes/{record_id}", headers=desk)
    refused = client.get(f"/api/v1/staff/intakes/{record_id}/export.json", headers=desk)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_required"
    caseworker = staff_headers(client, "caseworker")
    client.get(f"/api/v1/staff/intakes/{record_id}/export.json", headers=caseworker)
    with session_scope() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.details)
            .where(
                AuditEvent.subject_type.in_(["intake", "queue"]), AuditEvent.actor_type == "staff"
            )
            .order_by(AuditEvent.id)
        ).all()
    actions = [e.action for e in events]
    assert actions == [
        "queue.viewed",
        "intake.read",
        "intake.read",
        "intake.read_refused",
        "intake.exported_json",
    ]
    assert events[0].details == {"intake_ids": [record_id]}
    assert events[3].details == {"reason": "role_required", "wanted": "export_json", "role": "desk"}
    assert ticket["number"] == 1


def test_the_bot_is_told_apart_from_anonymous_callers(client) -> None:
    from tests.api.conftest import BOT_TOKEN

    notice = client.get("/api/v1/consent/notice", params={"language": "tr"}).json()
    body = {"language": "tr", "notice_version": notice["version"], "channel": "messenger"}
    client.post("/api/v1/consents", json=body, headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    client.post("/api/v1/consents", json=body)
    bad = client.post(
        "/api/v1/consents", json=body, headers={"Authorization": "Bearer not-the-token"}
    )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_service_token"
    with session_scope() as session:
        actors = session.scalars(
            select(AuditEvent.actor_type)
            .where(AuditEvent.action == "consent.given")
            .order_by(AuditEvent.id)
        ).all()
    assert [a.value for a in actors] == ["bot", "client"]


def test_a_password_reset_ends_the_users_sessions(client) -> None:
    desk = staff_headers(client, "desk")
    admin = staff_headers(client, "admin")
    with session_scope() as session:
        desk_id = session.scalar(select(StaffUser.id).where(StaffUser.username == "desk-user"))
    reset = client.patch(
        f"/api/v1/admin/staff/{desk_id}", headers=admin, json={"password": "a new long password 42"}
    )
    assert reset.status_code == 200, reset.text
    assert client.get("/api/v1/staff/me", headers=desk).status_code == 401
    again = client.post(
        "/api/v1/staff/login", json={"username": "desk-user", "password": "a new long password 42"}
    )
    assert again.status_code == 200


def test_strangers_guessing_a_password_do_not_lock_the_user_out() -> None:
    from fastapi.testclient import TestClient

    from kiosk_api.config import get_settings
    from kiosk_api.main import app

    make_staff("admin", "chief")
    settings = get_settings()
    saved = settings.rate_limit_login_per_minute
    settings.rate_limit_login_per_minute = 3
    try:
        with (
            TestClient(app, client=("203.0.113.9", 5000)) as stranger,
            TestClient(app, client=("10.0.0.7", 5000)) as desk_pc,
        ):
            for _ in range(3):
                assert (
                    stranger.post(
                        "/api/v1/staff/login", json={"username": "chief", "password": "guess"}
                    ).status_code
                    == 401
                )
            assert (
                stranger.post(
                    "/api/v1/staff/login", json={"username": "chief", "password": STAFF_PASSWORD}
                ).status_code
                == 429
            )
            assert (
                desk_pc.post(
                    "/api/v1/staff/login", json={"username": "chief", "password": STAFF_PASSWORD}
                ).status_code
                == 200
            )
    finally:
        settings.rate_limit_login_per_minute = saved
