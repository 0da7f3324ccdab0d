from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kiosk_api.db import session_scope
from kiosk_api.models import IntakeRecord
from kiosk_api.models.enums import IntakeStatus
from tests.api.conftest import consent, pin_headers


def test_fields_are_filled_one_by_one_and_corrected(client) -> None:
    receipt = consent(client, language="fa")
    url, proof = f"/api/v1/intakes/{receipt['reference_code']}", pin_headers(receipt)
    assert client.patch(url, headers=proof, json={"given_name": "Reza"}).status_code == 200
    assert (
        client.patch(
            url, headers=proof, json={"family_name": "Ahmadi", "german_level": "A1"}
        ).status_code
        == 200
    )
    corrected = client.patch(url, headers=proof, json={"given_name": "Rezā"})
    body = corrected.json()
    assert (body["given_name"], body["family_name"], body["german_level"]) == (
        "Rezā",
        "Ahmadi",
        "A1",
    )
    assert body["status"] == "draft"
    cleared = client.patch(url, headers=proof, json={"german_level": None}).json()
    assert cleared["german_level"] is None and cleared["family_name"] == "Ahmadi"


def test_the_household_list_is_replaced_as_a_whole(client) -> None:
    receipt = consent(client)
    url, proof = f"/api/v1/intakes/{receipt['reference_code']}", pin_headers(receipt)
    client.patch(
        url,
        headers=proof,
        json={
            "household": [
                {"relation": "partner", "given_name": "Sara"},
                {"relation": "child", "birth_date": "2020-01-01"},
            ]
        },
    )
    body = client.patch(
        url,
        headers=proof,
        json={
            "household": [{"relation": "child", "given_name": "Lina", "birth_date": "2021-03-04"}]
        },
    ).json()
    assert body["household"] == [
        {"relation": "child", "given_name": "Lina", "birth_date": "2021-03-04"}
    ]


def test_impossible_answers_are_refused_with_the_field_named(client) -> None:
    receipt = consent(client)
    url, proof = f"/api/v1/intakes/{receipt['reference_code']}", pin_headers(receipt)
    future = (
        date.today() + timedelta(days=2)
    ).isoformat()  # tomorrow in every time zone the server may use
    for bad, field in (
        ({"birth_date": future}, "birth_date"),
        ({"birth_date": "1850-01-01"}, "birth_date"),
        ({"phone": "call me"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"nationality": "XX"}, "nationality"),
        ({"preferred_language": "klingon"}, "preferred_language"),
        ({"residence_status": "tourist"}, "residence_status"),
        ({"german_level": "D7"}, "german_level"),
        ({"shoe_size": 42}, "shoe_size"),
        ({"given_name": ""}, "given_name"),
        ({"household": [{"relation": "child", "birth_date": future}]}, "birth_date"),
    ):
        response = client.patch(url, headers=proof, json=bad)
        assert response.status_code == 422, (bad, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert any(field in problem["location"] for problem in error["details"]["errors"]), (
            bad,
            error,
        )
    assert client.get(url, headers=proof).json()["given_name"] is None


def test_birth_date_proves_check_in_only(client) -> None:
    receipt = consent(client)
    ref = receipt["reference_code"]
    url = f"/api/v1/intakes/{ref}"
    client.patch(url, headers=pin_headers(receipt), json={"birth_date": "1988-12-31"})
    born = {"X-Lotse-Birth-Date": "1988-12-31"}
    for refused in (
        client.get(url, headers=born),
        client.patch(url, headers=born, json={"given_name": "Mina"}),
        client.get(f"{url}/export", headers=born),
        client.delete(url, headers=born),
    ):
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "pin_required"
    assert client.get(url).json()["error"]["code"] == "pin_required"
    checkin = "/api/v1/checkins"
    wrong = client.post(
        checkin, json={"reference_code": ref}, headers={"X-Lotse-Birth-Date": "1988-12-30"}
    )
    assert wrong.json()["error"]["code"] == "wrong_proof"
    assert client.post(checkin, json={"reference_code": ref}).json()["error"]["code"] == (
        "proof_required"
    )
    assert client.post(checkin, json={"reference_code": ref}, headers=born).status_code == 201
    assert client.get(url, headers=pin_headers(receipt)).json()["status"] == "checked_in"


def test_wrong_pins_lock_the_code_for_a_while(client) -> None:
    receipt = consent(client)
    url = f"/api/v1/intakes/{receipt['reference_code']}"
    wrong = "000000" if receipt["pin"] != "000000" else "111111"
    for _ in range(4):
        assert client.get(url, headers={"X-Lotse-Pin": wrong}).status_code == 401
    locked = client.get(url, headers={"X-Lotse-Pin": wrong})
    assert locked.status_code == 401
    after = client.get(url, headers=pin_headers(receipt))
    assert after.status_code == 429 and after.json()["error"]["code"] == "too_many_attempts"
    assert int(after.headers["Retry-After"]) > 0


def test_each_lockout_doubles_up_to_a_day(client) -> None:
    from kiosk_api.intake.service import lockout_length

    assert [lockout_length(n) for n in (1, 2, 3)] == [
        timedelta(minutes=15),
        timedelta(minutes=30),
        timedelta(minutes=60),
    ]
    assert lockout_length(40) == timedelta(hours=24)
    receipt = consent(client)
    url = f"/api/v1/intakes/{receipt['reference_code']}"
    wrong = {"X-Lotse-Pin": "000000" if receipt["pin"] != "000000" else "111111"}
    retry_after = []
    for _ in range(2):
        for _ in range(5):
            assert client.get(url, headers=wrong).status_code == 401
        locked = client.get(url, headers=pin_headers(receipt))
        assert locked.status_code == 429
        retry_after.append(int(locked.headers["Retry-After"]))
        with session_scope(write=True) as session:  # the lockout runs out
            record = session.scalar(select(IntakeRecord))
            record.locked_until = record.locked_until - timedelta(days=2)
    assert retry_after[0] <= 15 * 60 < retry_after[1] <= 30 * 60
    assert client.get(url, headers=pin_headers(receipt)).status_code == 200
    with session_scope() as session:
        assert session.scalar(select(IntakeRecord.lockouts)) == 0


def test_a_correct_pin_resets_the_failure_count(client) -> None:
    receipt = consent(client)
    url = f"/api/v1/intakes/{receipt['reference_code']}"
    for _ in range(3):
        client.get(
            url, headers={"X-Lotse-Pin": "999999" if receipt["pin"] != "999999" else "888888"}
        )
    assert client.get(url, headers=pin_headers(receipt)).status_code == 200
    with session_scope() as session:
        assert session.scalar(select(IntakeRecord.failed_proofs)) == 0


def test_codes_are_read_the_way_people_type_them(client) -> None:
    receipt = consent(client)
    typed = receipt["reference_code_display"].lower().replace("-", " ")
    assert client.get(f"/api/v1/intakes/{typed}", headers=pin_headers(receipt)).status_code == 200
    assert (
        client.get("/api/v1/intakes/LT-0000-0000", headers=pin_headers(receipt)).json()["error"][
            "code"
        ]
        == "record_not_found"
    )


def test_export_holds_everything_about_the_client(client) -> None:
    receipt = consent(client, language="fr")
    url, proof = f"/api/v1/intakes/{receipt['reference_code']}", pin_headers(receipt)
    client.patch(
        url, headers=proof, json={"given_name": "Awa", "profession": "infirmière", "submit": True}
    )
    export = client.get(f"{url}/export", headers=proof).json()
    assert (
        export["record"]["given_name"] == "Awa" and export["record"]["profession"] == "infirmière"
    )
    assert export["record"]["consents"][0]["language"] == "fr"
    assert export["record"]["status"] == "submitted"


def test_a_handed_over_record_can_no_longer_be_changed_by_the_client(client) -> None:
    receipt = consent(client)
    with session_scope(write=True) as session:
        session.scalar(select(IntakeRecord)).status = IntakeStatus.handed_over
    response = client.patch(
        f"/api/v1/intakes/{receipt['reference_code']}",
        headers=pin_headers(receipt),
        json={"given_name": "X"},
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "record_closed"


def test_errors_speak_the_clients_language(client) -> None:
    response = client.get(
        "/api/v1/intakes/LT-0000-0000",
        headers={"X-Lotse-Pin": "123456", "Accept-Language": "de-DE,de;q=0.9"},
    )
    assert (
        response.json()["error"]["message"]
        == "Zu dieser Referenznummer wurde keine Anmeldung gefunden."
    )
    english = client.get(
        "/api/v1/intakes/LT-0000-0000", headers={"X-Lotse-Pin": "123456", "Accept-Language": "en"}
    )
    assert english.json()["error"]["message"].startswith("No registration")
