"""The three example sites' routing rules, evaluated as shipped against intake records: Dortmund's
Integration Point, Solingen's WillkommenCenter with AsylbLG cases referred to the city, and the
example site Beispielstadt that splits first contact by age. Plus the rule format itself: age
bands, first application vs. existing client, language and interpreter, referrals, and the errors
a broken rules file gives."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from sqlalchemy import select

from kiosk_api.config import get_settings
from kiosk_api.db import session_scope
from kiosk_api.i18n import language_codes, translate_text
from kiosk_api.models import IntakeRecord, Site
from kiosk_api.models.enums import Concern, ResidenceStatus
from kiosk_api.routing.schemas import RoutingResult, RuleConditions
from kiosk_api.routing.service import (
    RulesFileInvalid,
    first_application,
    matches,
    read_rules_file,
    route,
)
from kiosk_api.sites.service import apply_site, read_site_file
from tests.api.conftest import consent, pin_headers, staff_headers

TODAY = date(2026, 11, 24)
SITES = ("dortmund", "solingen", "beispielstadt")


def _site(session, code: str) -> Site:  # type: ignore[no-untyped-def]
    """The site as `lotse init` applies it from sites/<code>/ (the default one is already there)."""
    site, _ = apply_site(session=session, config=read_site_file(get_settings().sites_dir, code))
    return site


def _route(code: str, locale: str = "de", **fields: object) -> RoutingResult:
    fields.setdefault("preferred_language", "de")
    with session_scope(write=True) as session:
        return route(
            session=session,
            site=_site(session, code),
            record=IntakeRecord(**fields),
            locale=locale,
            today=TODAY,
        )


def _born(years_ago: int, days: int = 0) -> date:
    """The birth date of someone who turns `years_ago` today, shifted by `days` (positive: later,
    so still younger)."""
    return date.fromordinal(TODAY.replace(year=TODAY.year - years_ago).toordinal() + days)


# --- the shipped files ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", SITES)
def test_each_sites_rules_name_its_own_services_and_translated_reasons(code: str) -> None:
    sites_dir = get_settings().sites_dir
    services = {service.code for service in read_site_file(sites_dir, code).services}
    rules = read_rules_file(sites_dir / code / "routing.yml")
    assert {rule.service for rule in rules.rules if rule.service} <= services
    for rule in rules.rules:
        for language in language_codes():
            text = translate_text(rule.reason, language)
            assert (
                text.language == language and text.text and not text.text.startswith("routing.")
            ), (code, rule.id, language)


def test_areas_table_names_the_example_sites_with_disjoint_postcodes() -> None:
    sites_dir = get_settings().sites_dir
    areas = yaml.safe_load((sites_dir / "areas.yml").read_text(encoding="utf-8"))
    assert areas["version"] == 1
    ranges: list[tuple[int, int, str]] = []
    for area in areas["areas"]:
        assert (sites_dir / area["site"] / "site.yml").exists()
        for entry in area["postcodes"]:
            first, _, last = entry.partition("-")
            ranges.append((int(first), int(last or first), area["site"]))
    ranges.sort()
    for (_, end, site), (start, _, other) in zip(ranges, ranges[1:], strict=False):
        assert end < start, (site, other)
    # The example site's range is no German postcode: those start at 01001.
    assert [r for r in ranges if r[2] == "beispielstadt"] == [(100, 199, "beispielstadt")]


def test_the_example_site_is_labelled_as_one() -> None:
    config = read_site_file(get_settings().sites_dir, "beispielstadt")
    assert config.name == "Jobcenter Beispielstadt (Beispielstandort)"
    assert (config.postcode, config.city) == ("00100", "Beispielstadt")


# --- Dortmund: unchanged, no referrals ------------------------------------------------------------


def test_dortmund_routes_as_before_and_refers_nobody() -> None:
    result = _route("dortmund", residence_status=ResidenceStatus.permit_25_2)
    assert (result.service_code, result.rule, result.referral) == (
        "integration_point",
        "protection_status_25_1_to_3",
        None,
    )


# --- Solingen: WillkommenCenter, Jobcenter teams, AsylbLG to the city -----------------------------


@pytest.mark.parametrize(
    ("fields", "service", "rule"),
    [
        (
            {
                "residence_status": ResidenceStatus.permit_25_2,
                "concern": Concern.first_registration,
            },
            "willkommen_center",
            "refugee_first_application",
        ),
        (
            {
                "residence_status": ResidenceStatus.permit_24,
                "concern": Concern.benefits_application,
            },
            "willkommen_center",
            "refugee_first_application",
        ),
        # Moved in with SGB II from elsewhere: not a first application.
        (
            {
                "residence_status": ResidenceStatus.permit_25_2,
                "concern": Concern.first_registration,
                "sgb2_elsewhere_since": date(2026, 5, 1),
            },
            "jobcenter_teams",
            "existing_client",
        ),
        (
            {"residence_status": ResidenceStatus.permit_25_1, "concern": Concern.documents},
            "jobcenter_teams",
            "existing_client",
        ),
        (
            {"concern": Concern.change_of_circumstances},
            "jobcenter_teams",
            "existing_client",
        ),
        # The record does not tell whether it is a first application: the fallback.
        ({"residence_status": ResidenceStatus.permit_25_2}, "jobcenter_teams", "jobcenter_teams"),
        (
            {"residence_status": ResidenceStatus.permit_25_2, "concern": Concern.other},
            "jobcenter_teams",
            "jobcenter_teams",
        ),
        # A first application without a refugee's status is not the WillkommenCenter's.
        (
            {"residence_status": ResidenceStatus.other, "concern": Concern.first_registration},
            "jobcenter_teams",
            "jobcenter_teams",
        ),
        (
            {"concern": Concern.first_registration},
            "service_center",
            "status_unknown",
        ),
        (
            {"residence_status": ResidenceStatus.unknown},
            "service_center",
            "status_unknown",
        ),
    ],
)
def test_solingen_rules(fields: dict, service: str, rule: str) -> None:
    result = _route("solingen", **fields)
    assert (result.service_code, result.rule, result.referral) == (service, rule, None)
    assert result.reason and not result.reason.startswith("routing.")


@pytest.mark.parametrize("status", [ResidenceStatus.aufenthaltsgestattung, ResidenceStatus.duldung])
@pytest.mark.parametrize("concern", [None, Concern.first_registration, Concern.documents])
def test_solingen_refers_asylblg_cases_to_the_city_with_its_address(
    status: ResidenceStatus, concern: Concern | None
) -> None:
    result = _route("solingen", residence_status=status, concern=concern)
    assert result.rule == "asylblg_municipal_office"
    assert result.referral is not None
    assert result.referral.name == "Stadt Solingen, Stadtdienst Soziales – Hilfen für Flüchtlinge"
    assert (result.referral.street, result.referral.city, result.referral.phone) == (
        "Kölner Straße 47-49",
        "Solingen",
        "0212 290-5020",
    )
    # The team here for a client who comes anyway: the next matching rule naming a service.
    expected = "jobcenter_teams"
    assert result.service_code == expected
    assert "Sozialamt" in result.reason


def test_a_referral_reason_is_in_the_clients_language() -> None:
    english = _route("solingen", "en", residence_status=ResidenceStatus.duldung)
    arabic = _route("solingen", "ar", residence_status=ResidenceStatus.duldung)
    assert "social welfare office (Sozialamt)" in english.reason
    assert "Sozialamt" in arabic.reason and "مكتب الشؤون الاجتماعية" in arabic.reason
    assert english.referral == arabic.referral


# --- Beispielstadt: U25 / Ü25, interpreter, pension age referred ----------------------------------


@pytest.mark.parametrize(
    ("birth_date", "service", "rule"),
    [
        (_born(17), "u25", "u25"),
        (_born(25, days=1), "u25", "u25"),  # 25 tomorrow
        (_born(25), "ue25", "ue25"),  # 25 today
        (_born(40), "ue25", "ue25"),
        (_born(67, days=1), "ue25", "ue25"),  # 67 tomorrow
        (None, "reception", "age_unknown"),
    ],
)
def test_beispielstadt_splits_by_age(birth_date: date | None, service: str, rule: str) -> None:
    result = _route("beispielstadt", birth_date=birth_date)
    assert (result.service_code, result.rule, result.referral) == (service, rule, None)


def test_beispielstadt_refers_from_the_retirement_age_with_address_and_opening_note() -> None:
    result = _route("beispielstadt", birth_date=_born(67))
    assert result.rule == "pension_age" and result.referral is not None
    assert result.referral.model_dump() == {
        "name": "Sozialamt Beispielstadt (Beispielstandort)",
        "street": "Musterstraße 5",
        "postcode": "00100",
        "city": "Beispielstadt",
        "phone": "00000 000000",
        "opening_note": "Mo–Fr 8–12 Uhr",
    }
    # Past every band: the team here is the fallback's.
    assert result.service_code == "reception"
    assert "Grundsicherung im Alter" in result.reason


@pytest.mark.parametrize(
    ("fields", "service"),
    [
        ({"preferred_language": "ar", "interpreter_needed": True}, "language_support"),
        ({"preferred_language": "fa_AF", "interpreter_needed": True}, "language_support"),
        ({"preferred_language": "ti", "interpreter_needed": True}, "language_support"),
        # A language not in the rule's list, no interpreter, or the question unanswered.
        ({"preferred_language": "uk", "interpreter_needed": True}, "ue25"),
        ({"preferred_language": "ar", "interpreter_needed": False}, "ue25"),
        ({"preferred_language": "ar", "interpreter_needed": None}, "ue25"),
        # Not a first application.
        (
            {"preferred_language": "ar", "interpreter_needed": True, "concern": Concern.documents},
            "ue25",
        ),
    ],
)
def test_beispielstadt_first_contact_with_an_interpreter(fields: dict, service: str) -> None:
    fields = {"concern": Concern.first_registration, "birth_date": _born(30), **fields}
    assert _route("beispielstadt", **fields).service_code == service


# --- the conditions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "in_band"),
    [
        (_born(18), True),  # 18 today
        (_born(18, days=1), False),  # 18 tomorrow
        (_born(24), True),
        (_born(25, days=1), True),  # 25 tomorrow
        (_born(25), False),  # 25 today
        (None, False),  # no birth date: the condition does not hold
    ],
)
def test_an_age_band_18_to_24(birth_date: date | None, in_band: bool) -> None:
    band = RuleConditions(age_at_least=18, age_under=25)
    assert matches(band, IntakeRecord(birth_date=birth_date), TODAY) is in_band


@pytest.mark.parametrize(
    ("concern", "sgb2_elsewhere_since", "expected"),
    [
        (Concern.first_registration, None, True),
        (Concern.benefits_application, None, True),
        (Concern.first_registration, date(2025, 1, 1), False),
        (None, date(2025, 1, 1), False),
        (Concern.documents, None, False),
        (Concern.appointment, None, False),
        (Concern.work_and_training, None, False),
        (Concern.language_course, None, False),
        (Concern.change_of_circumstances, None, False),
        (Concern.other, None, None),
        (None, None, None),
    ],
)
def test_first_application_or_existing_client(
    concern: Concern | None, sgb2_elsewhere_since: date | None, expected: bool | None
) -> None:
    record = IntakeRecord(concern=concern, sgb2_elsewhere_since=sgb2_elsewhere_since)
    assert first_application(record) is expected
    for wanted in (True, False):
        holds = matches(RuleConditions(first_application=wanted), record, TODAY)
        assert holds is (expected is wanted)


def test_language_codes_in_rules_are_normalized() -> None:
    conditions = RuleConditions(preferred_language_in=["AR", "prs", "fa-AF"])
    assert conditions.preferred_language_in == ["ar", "fa_AF", "fa_AF"]


# --- broken rules files ---------------------------------------------------------------------------


RULES_HEAD = "version: 1\nvalid_as_of: 2026-01-01\nrules:\n"
FALLBACK = (
    "  - {id: everyone, when: {always: true}, service: benefits, reason: routing.reason.regular}\n"
)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            "  - {id: young, when: {age_undr: 25}, service: u25, reason: routing.reason.regular}\n",
            "rules[0] (id young).when.age_undr: Extra inputs are not permitted",
        ),
        (
            "  - {id: band, when: {age_at_least: 25, age_under: 18}, service: u25, "
            "reason: routing.reason.regular}\n",
            "rules[0] (id band).when: Value error, empty age band: age_at_least 25 is not below "
            "age_under 18",
        ),
        (
            "  - {id: both, when: {always: true}, service: u25, reason: routing.reason.regular, "
            "refer_to: {name: Amt, street: Weg 1, city: Ort}}\n",
            "rules[0] (id both): Value error, rule both: give either a service of this site or "
            "refer_to another office",
        ),
        (
            "  - {id: neither, when: {always: true}, reason: routing.reason.regular}\n",
            "rules[0] (id neither): Value error, rule neither: give either a service",
        ),
        (
            "  - {id: office, when: {always: true}, reason: routing.reason.regular, "
            "refer_to: {name: Amt, city: Ort, postcode: '4213'}}\n",
            "rules[0] (id office).refer_to.street: Field required; rules[0] (id office)"
            ".refer_to.postcode: String should match pattern",
        ),
        (
            "  - {id: lang, when: {preferred_language_in: [arabic]}, service: u25, "
            "reason: routing.reason.regular}\n",
            "rules[0] (id lang).when.preferred_language_in: Value error, unknown language code "
            "'arabic'",
        ),
        (
            "  - {id: status, when: {residence_status_in: [asylum]}, service: u25, "
            "reason: routing.reason.regular}\n",
            "rules[0] (id status).when.residence_status_in[0]: Input should be 'permit_25_1'",
        ),
        (
            "  - {id: text, when: {always: true}, service: u25, reason: Regular team}\n",
            "rules[0] (id text).reason: String should match pattern",
        ),
        (
            "  - {id: nothing, when: {}, service: u25, reason: routing.reason.regular}\n",
            "rules[0] (id nothing).when: Value error, give at least one condition",
        ),
    ],
)
def test_a_broken_rules_file_says_where_and_what(tmp_path: Path, rules: str, message: str) -> None:
    path = tmp_path / "routing.yml"
    path.write_text(RULES_HEAD + rules + FALLBACK, encoding="utf-8")
    with pytest.raises(RulesFileInvalid) as raised:
        read_rules_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            "  - {id: young, when: {age_under: 25}, service: u25, "
            "reason: routing.reason.regular}\n",
            "file: Value error, the last rule (young) is the fallback: it needs always: true and "
            "a service",
        ),
        (FALLBACK + FALLBACK, "file: Value error, rule id everyone is used twice"),
        ("  - {id: a b, when: {always: true}, service: u25", "not valid YAML"),
    ],
)
def test_a_rules_file_needs_a_fallback_unique_ids_and_valid_yaml(
    tmp_path: Path, rules: str, message: str
) -> None:
    path = tmp_path / "routing.yml"
    path.write_text(RULES_HEAD + rules, encoding="utf-8")
    with pytest.raises(RulesFileInvalid, match="routing.yml: ") as raised:
        read_rules_file(path)
    assert message in str(raised.value)


def test_the_site_uses_the_error_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dortmund").mkdir()
    (tmp_path / "dortmund" / "routing.yml").write_text(
        RULES_HEAD + "  - {id: x, when: {always: true}, service: benefits, reason: regular}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(get_settings(), "sites_dir", tmp_path)
    with session_scope() as session:
        site = session.scalars(select(Site).where(Site.code == "dortmund")).one()
        with pytest.raises(RulesFileInvalid, match=r"rules\[0\] \(id x\)\.reason"):
            route(session=session, site=site, record=IntakeRecord(), locale="de", today=TODAY)


# --- the referral reaches the client and the desk ---------------------------------------------


def test_the_client_and_the_desk_get_the_referral(  # type: ignore[no-untyped-def]
    client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dortmund").mkdir()
    (tmp_path / "dortmund" / "routing.yml").write_text(
        RULES_HEAD + "  - id: refer_duldung\n"
        "    when: {residence_status_in: [duldung]}\n"
        "    refer_to: {name: Sozialamt (Test), street: Teststraße 1, postcode: '00150',\n"
        "               city: Beispielstadt, opening_note: Mo–Fr 8–12 Uhr}\n"
        "    reason: routing.reason.asylblg_municipal_office\n"
        "  - {id: everyone, when: {always: true}, service: placement, "
        "reason: routing.reason.regular}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(get_settings(), "sites_dir", tmp_path)
    receipt = consent(client, language="en")
    url, proof = f"/api/v1/intakes/{receipt['reference_code']}", pin_headers(receipt)
    client.patch(url, headers=proof, json={"residence_status": "duldung", "submit": True})

    for_client = client.get(f"{url}/routing", headers={**proof, "Accept-Language": "en"}).json()
    assert for_client["rule"] == "refer_duldung" and for_client["service_code"] == "placement"
    assert for_client["referral"] == {
        "name": "Sozialamt (Test)",
        "street": "Teststraße 1",
        "postcode": "00150",
        "city": "Beispielstadt",
        "phone": None,
        "opening_note": "Mo–Fr 8–12 Uhr",
    }
    assert "social welfare office" in for_client["reason"]

    # At the kiosk the client still gets a ticket: for the team here, with the referral's reason.
    ticket = client.post(
        "/api/v1/checkins", headers=proof, json={"reference_code": receipt["reference_code"]}
    )
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["service_code"] == "placement"
    entries = client.get("/api/v1/staff/queue", headers=staff_headers(client)).json()
    entry = next(e for e in entries if e["number"] == ticket.json()["number"])
    assert entry["routing_rule"] == "refer_duldung"
    assert entry["routing_reason"].startswith("Aufenthaltsgestattung oder Duldung")

    caseworker = staff_headers(client, "caseworker")
    with session_scope() as session:
        record_id = session.scalar(
            select(IntakeRecord.id).where(
                IntakeRecord.reference_code == receipt["reference_code"].replace("-", "")
            )
        )
    view = client.get(f"/api/v1/staff/intakes/{record_id}", headers=caseworker).json()
    assert view["routing"]["referral"]["name"] == "Sozialamt (Test)"
    sheet = client.get(f"/api/v1/staff/intakes/{record_id}/sheet.pdf", headers=caseworker)
    assert sheet.status_code == 200, sheet.text
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(sheet.content)).pages)
    assert (
        "Verweis an eine andere Stelle: Sozialamt (Test), Teststraße 1, 00150 Beispielstadt, "
        "Mo–Fr 8–12 Uhr" in " ".join(text.split())
    )
