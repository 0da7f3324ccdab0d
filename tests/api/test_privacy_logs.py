"""No personal data in logs: not in the app's own logs, not in the server's output."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import LiveServer, make_slot, pin_headers

PERSONAL = {
    "given_name": "Zainab",
    "family_name": "Qureshi-Lotsetest",
    "phone": "+49 170 9876543",
    "birth_date": "1979-06-15",
    "concern_text": "Ich brauche Hilfe mit dem Mietvertrag",
}


def _visit(http, base: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    notice = http.get(f"{base}/api/v1/consent/notice", params={"language": "de"}).json()
    receipt = http.post(
        f"{base}/api/v1/consents",
        json={"language": "de", "notice_version": notice["version"], "channel": "kiosk"},
    ).json()
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    http.patch(f"{base}/api/v1/intakes/{ref}", headers=proof, json={**PERSONAL, "submit": True})
    http.get(
        f"{base}/api/v1/intakes/{ref}",
        headers={"X-Lotse-Pin": "000000" if receipt["pin"] != "000000" else "111111"},
    )
    slot_id = make_slot(hours_ahead=30)
    http.post(
        f"{base}/api/v1/bookings",
        headers=proof,
        json={"slot_id": slot_id, "reference_code": ref, "language": "de"},
    )
    http.post(f"{base}/api/v1/checkins", headers=proof, json={"reference_code": ref})
    http.patch(f"{base}/api/v1/intakes/{ref}", headers=proof, json={"birth_date": "2999-01-01"})
    return [ref, receipt["reference_code_display"], receipt["pin"], *PERSONAL.values()]


def test_app_logs_hold_no_personal_data(client, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        secrets = _visit(client)
    # httpx is the test's own client, not the product: the kiosk API makes no outgoing calls.
    logged = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("httpx")
    )
    assert "PATCH /intakes/{reference_code} 200" in logged, "the access log names route templates"
    for secret in secrets:
        assert secret not in logged


@pytest.mark.commits
def test_server_output_holds_no_personal_data(live_server: LiveServer, tmp_path: Path) -> None:
    with (
        live_server(workers=1, extra_env={"LOTSE_LOG_LEVEL": "debug"}) as base,
        httpx.Client(timeout=30) as http,
    ):
        secrets = _visit(http, base)
    output = (tmp_path / "kiosk-api.log").read_text(
        encoding="utf-8"
    )  # the whole output of the stopped server
    assert "/intakes/{reference_code}" in output, output[-2000:]
    for secret in secrets:
        assert secret not in output, secret
