from __future__ import annotations

import io

from pypdf import PdfReader

from tests.api.conftest import consent, pin_headers


def _client_with(client, language: str, **fields: object) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    receipt = consent(client, language=language)
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    assert client.patch(f"/api/v1/intakes/{ref}", headers=proof, json=fields).status_code == 200
    return ref, proof


def test_the_checklist_follows_the_clients_situation(client) -> None:
    ref, proof = _client_with(
        client,
        "en",
        residence_status="permit_25_2",
        registration_certificate=False,
        asylblg_since="2025-02-01",
        household=[{"relation": "child", "birth_date": "2019-05-05"}],
        foreign_qualifications="Nursing diploma, Damascus",
        recognition_started=False,
    )
    checklist = client.get(f"/api/v1/intakes/{ref}/checklist", headers=proof).json()
    documents = [item["id"] for item in checklist["documents"]]
    steps = [item["id"] for item in checklist["steps"]]
    assert {
        "identity_document",
        "residence_document",
        "bamf_decision",
        "asylblg_notice",
        "children_birth_certificates",
        "qualification_certificates",
    } <= set(documents)
    assert "registration_certificate" not in documents and "previous_sgb2_notice" not in documents
    assert (
        steps[:1] == ["register_address"]
        and "child_benefit" in steps
        and "recognition_advice" in steps
    )
    bamf = next(item for item in checklist["documents"] if item["id"] == "bamf_decision")
    assert bamf["text"].startswith("Decision letter") and bamf["german"].startswith(
        "Bescheid des Bundesamts"
    )


def test_a_client_without_children_gets_no_child_items(client) -> None:
    ref, proof = _client_with(
        client, "de", residence_status="permit_24", registration_certificate=True
    )
    checklist = client.get(f"/api/v1/intakes/{ref}/checklist", headers=proof).json()
    ids = {item["id"] for item in checklist["documents"] + checklist["steps"]}
    assert (
        "registration_certificate" in ids
        and "children_birth_certificates" not in ids
        and "child_benefit" not in ids
    )
    assert "register_address" not in ids


def test_the_checklist_speaks_the_clients_language_right_to_left(client) -> None:
    ref, proof = _client_with(client, "ar", residence_status="permit_25_1")
    checklist = client.get(f"/api/v1/intakes/{ref}/checklist", headers=proof).json()
    assert checklist["language"] == "ar" and checklist["direction"] == "rtl"
    item = checklist["documents"][0]
    assert item["german"] == "Reisepass oder anderes Ausweisdokument"
    # a missing translation falls back visibly (the item says which language its text is in), never
    # to a key
    assert not item["text"].startswith("checklist.") and item["text_language"] in ("ar", "en", "de")


def test_the_printable_checklist_carries_both_languages_and_the_code(client) -> None:
    ref, proof = _client_with(
        client, "en", residence_status="permit_23_4", address="Hauptstraße 1, Dortmund"
    )
    response = client.get(f"/api/v1/intakes/{ref}/checklist.pdf", headers=proof)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Rental contract" in text and "Mietvertrag" in text
    assert ref[:2] in text
    assert any(
        "/Image" in str(page.get("/Resources", {}).get("/XObject", {})) or page.images
        for page in reader.pages
    )
