"""The Dortmund rules: who the Integration Point takes, and why everyone else goes to the regular
team."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk_api.db import session_scope
from kiosk_api.models import IntakeRecord
from kiosk_api.models.enums import CourseStatus, ResidenceStatus
from kiosk_api.routing.service import route
from tests.api.conftest import consent, pin_headers, site

TODAY = date(2026, 11, 24)


def _route(**fields: object):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return route(
            session=session,
            site=site(session),
            record=IntakeRecord(**fields),
            locale="de",
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("fields", "service", "rule"),
    [
        (
            {"residence_status": ResidenceStatus.permit_25_1},
            "integration_point",
            "protection_status_25_1_to_3",
        ),
        (
            {"residence_status": ResidenceStatus.permit_25_2},
            "integration_point",
            "protection_status_25_1_to_3",
        ),
        (
            {"residence_status": ResidenceStatus.permit_25_3},
            "integration_point",
            "protection_status_25_1_to_3",
        ),
        (
            {"residence_status": ResidenceStatus.permit_25_5},
            "integration_point",
            "duldung_18_months_25_5",
        ),
        (
            {"residence_status": ResidenceStatus.permit_23_4},
            "integration_point",
            "resettlement_23_4",
        ),
        (
            {
                "residence_status": ResidenceStatus.permit_24,
                "sgb2_elsewhere_since": date(2026, 3, 1),
            },
            "integration_point",
            "moved_in_sgb2_up_to_12_months",
        ),
        (
            {
                "residence_status": ResidenceStatus.permit_24,
                "sgb2_elsewhere_since": date(2025, 11, 24),
            },
            "integration_point",
            "moved_in_sgb2_up_to_12_months",
        ),
        (
            {
                "residence_status": ResidenceStatus.permit_25_2,
                "sgb2_elsewhere_since": date(2025, 10, 1),
            },
            "placement",
            "sgb2_elsewhere_over_12_months",
        ),
        (
            {
                "residence_status": ResidenceStatus.permit_25_2,
                "integration_course_status": CourseStatus.completed,
            },
            "placement",
            "course_completed",
        ),
        (
            {"residence_status": ResidenceStatus.permit_24, "birth_date": date(2003, 1, 1)},
            "u25",
            "regular_u25",
        ),
        (
            {"residence_status": ResidenceStatus.permit_24, "birth_date": date(1980, 1, 1)},
            "placement",
            "regular",
        ),
        ({"residence_status": ResidenceStatus.duldung}, "placement", "regular"),
        ({}, "entry_zone", "status_unknown"),
        ({"residence_status": ResidenceStatus.unknown}, "entry_zone", "status_unknown"),
    ],
)
def test_dortmund_rules(fields: dict, service: str, rule: str) -> None:
    result = _route(**fields)
    assert (result.service_code, result.rule) == (service, rule)
    assert result.reason and not result.reason.startswith("routing.")


def test_the_reason_is_given_in_the_clients_language(client) -> None:
    receipt = consent(client, language="en")
    url, proof = f"/api/v1/intakes/{receipt['reference_code']}", pin_headers(receipt)
    client.patch(url, headers=proof, json={"residence_status": "permit_23_4"})
    english = client.get(f"{url}/routing", headers={**proof, "Accept-Language": "en"}).json()
    german = client.get(f"{url}/routing", headers={**proof, "Accept-Language": "de"}).json()
    assert english["service_code"] == german["service_code"] == "integration_point"
    assert (
        "Resettlement refugee" in english["reason"]
        and "Resettlement-Flüchtling" in german["reason"]
    )
    assert english["rules_valid_as_of"] == "2026-07-01"


def test_routing_rules_are_configuration(tmp_path, monkeypatch) -> None:
    from kiosk_api.config import get_settings

    rules_dir = tmp_path / "dortmund"
    rules_dir.mkdir()
    (rules_dir / "routing.yml").write_text(
        "version: 1\nvalid_as_of: 2026-01-01\nrules:\n  - {id: everyone_to_benefits, when: "
        "{always: true}, service: benefits, reason: routing.reason.regular}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(get_settings(), "sites_dir", tmp_path)
    assert _route(residence_status=ResidenceStatus.permit_25_1).service_code == "benefits"
