"""Schema-driven fuzzing of every operation in /openapi.json: no server error, every answer as
declared.

Staff and admin operations run with an admin token, public ones with the bot's service token, so the
authenticated paths are exercised rather than stopped at 401. Deterministic: derandomized
Hypothesis."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from kiosk_api.main import app
from tests.api.conftest import BOT_TOKEN, consent, make_slot, pin_headers, staff_headers

schema = schemathesis.openapi.from_asgi("/openapi.json", app)

CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
]
STAFF_PREFIXES = ("/api/v1/staff", "/api/v1/admin")


def seed(client) -> None:  # type: ignore[no-untyped-def]
    """Some of everything, so list and queue answers carry real entries for the schema checks."""
    slot_id = make_slot(hours_ahead=30, capacity=3, language="ar")
    make_slot(service_code="benefits", hours_ahead=50)
    receipt = consent(client, language="ar")
    proof = pin_headers(receipt)
    client.patch(
        f"/api/v1/intakes/{receipt['reference_code']}",
        headers=proof,
        json={
            "given_name": "Amina",
            "birth_date": "1990-04-02",
            "residence_status": "permit_25_1",
            "concern": "documents",
            "concern_text": "Bescheid",
        },
    )
    client.post(
        "/api/v1/bookings",
        headers=proof,
        json={"slot_id": slot_id, "reference_code": receipt["reference_code"], "language": "ar"},
    )
    client.post(
        "/api/v1/checkins", headers=proof, json={"reference_code": receipt["reference_code"]}
    )
    client.post("/api/v1/checkins", json={"walk_in": {"language": "uk", "concern": "other"}})


FUZZ_SETTINGS = settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# Rendering a PDF takes about a second: fewer examples there keep the suite within minutes.
PDF_PATHS = r"\.pdf$"


def call_and_check(case, client) -> None:  # type: ignore[no-untyped-def]
    if not hasattr(client, "_fuzz_auth"):
        seed(client)
        client._fuzz_auth = staff_headers(
            client, "admin"
        )  # one login per operation, not per example
    auth = (
        client._fuzz_auth
        if case.operation.path.startswith(STAFF_PREFIXES)
        else {"Authorization": f"Bearer {BOT_TOKEN}"}
    )
    case.call_and_validate(headers=auth, checks=CHECKS)


@schema.exclude(path_regex=PDF_PATHS).parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_declared(case, client) -> None:  # type: ignore[no-untyped-def]
    call_and_check(case, client)


@schema.include(path_regex=PDF_PATHS).parametrize()
@settings(FUZZ_SETTINGS, max_examples=4)
def test_pdf_operations_answer_as_declared(case, client) -> None:  # type: ignore[no-untyped-def]
    call_and_check(case, client)
