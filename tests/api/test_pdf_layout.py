"""Every PDF, rendered: no text meets the QR code or crosses the margins, in every served language.

Pages are rendered by poppler's pdftoppm (Debian poppler-utils) and read pixel by pixel: a
paragraph that does not wrap crosses a margin, a header that runs under the code darkens the
white ring around it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from kiosk_api import i18n
from kiosk_api.db import session_scope
from kiosk_api.models import IntakeRecord
from kiosk_api.pdf import MARGIN, QR_SIZE
from tests.api.conftest import consent, pin_headers, staff_headers

DPI = 100
MM = DPI / 25.4
DARK = 128
# The ring around the code that must stay white, and the tolerance for anti-aliasing at the code's
# edge (mm).
RING = 2.5
EDGE = 0.6


def render(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-png", str(source), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    return [Image.open(path).convert("L") for path in sorted(tmp_path.glob("page-*.png"))]


def dark_in(page: Image.Image, box_mm: tuple[float, float, float, float]) -> int:
    """Dark pixels inside a box given in millimetres (left, top, right, bottom)."""
    left, top, right, bottom = (round(v * MM) for v in box_mm)
    region = page.crop(
        (max(left, 0), max(top, 0), min(right, page.width), min(bottom, page.height))
    )
    return sum(region.histogram()[:DARK])


def layout_problems(pages: list[Image.Image], *, qr_left: bool) -> list[str]:
    problems = []
    width, height = pages[0].width / MM, pages[0].height / MM
    inner = MARGIN - EDGE
    for number, page in enumerate(pages, 1):
        for name, box in (
            ("left", (0, 0, inner, height)),
            ("right", (width - inner, 0, width, height)),
            ("top", (0, 0, width, inner)),
            ("bottom", (0, height - inner, width, height)),
        ):
            if dark := dark_in(page, box):
                problems.append(f"page {number}: {dark} dark pixels in the {name} margin")
    qr_x = MARGIN if qr_left else width - MARGIN - QR_SIZE
    qr = (qr_x, MARGIN, qr_x + QR_SIZE, MARGIN + QR_SIZE)
    page = pages[0]
    code = dark_in(page, (qr[0] + EDGE, qr[1] + EDGE, qr[2] - EDGE, qr[3] - EDGE))
    if code == 0:
        problems.append("no QR code where it belongs")
    ring = (max(qr[0] - RING, MARGIN), qr[1], min(qr[2] + RING, width - MARGIN), qr[3] + RING)
    # dark pixels in the ring box beyond those of the code itself: text touching or under the code
    around = dark_in(page, ring) - dark_in(
        page, (qr[0] - EDGE, qr[1] - EDGE, qr[2] + EDGE, qr[3] + EDGE)
    )
    if around:
        problems.append(f"{around} dark pixels within {RING} mm of the QR code")
    return problems


def _checklist_pdf(client, language: str) -> bytes:  # type: ignore[no-untyped-def]
    receipt = consent(client, language=language)
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    fields = {
        "residence_status": "permit_25_2",
        "registration_certificate": False,
        "asylblg_since": "2025-02-01",
        "household": [{"relation": "child", "birth_date": "2019-05-05"}],
        "foreign_qualifications": "Diplom",
        "recognition_started": False,
    }
    assert client.patch(f"/api/v1/intakes/{ref}", headers=proof, json=fields).status_code == 200
    response = client.get(f"/api/v1/intakes/{ref}/checklist.pdf", headers=proof)
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("language", i18n.language_codes())
def test_the_checklist_keeps_clear_of_the_code_and_the_margins(client, tmp_path, language) -> None:  # type: ignore[no-untyped-def]
    pages = render(_checklist_pdf(client, language), tmp_path)
    assert layout_problems(pages, qr_left=i18n.direction(language) == "rtl") == []


def test_the_check_finds_text_under_the_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The layout of before: an intro of full width right under the title ran beneath the code."""
    from kiosk_api.pdf import new_document, place_qr, set_main_font

    pdf = new_document("x", "de")
    place_qr(pdf, "LTABCD1234", x=pdf.w - MARGIN - QR_SIZE, y=MARGIN)
    set_main_font(pdf, 11)
    pdf.set_y(MARGIN + 12)
    pdf.multi_cell(
        0,
        6,
        (
            "Bringen Sie diese Unterlagen zu Ihrem Termin mit, das deutsche Wort steht in Klammern "
            "daneben. "
        )
        * 2,
    )
    assert any(
        "QR code" in problem
        for problem in layout_problems(render(bytes(pdf.output()), tmp_path), qr_left=False)
    )


def test_the_check_finds_a_line_that_does_not_wrap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kiosk_api.pdf import new_document, set_main_font

    pdf = new_document("x", "de")
    set_main_font(pdf, 11)
    pdf.set_y(60)
    pdf.cell(
        300,
        6,
        "Eine Zeile, die nicht umbricht und über den rechten Rand hinaus läuft, bis weit über die "
        "Seite hinaus.",
    )
    assert any(
        "right margin" in problem
        for problem in layout_problems(render(bytes(pdf.output()), tmp_path), qr_left=False)
    )


def test_the_intake_sheet_keeps_clear_of_the_code_and_the_margins(client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    receipt = consent(client, language="ar")
    ref, proof = receipt["reference_code"], pin_headers(receipt)
    long_text = (
        "أريد التسجيل في مركز العمل وأحتاج إلى مساعدة في ملء الاستمارات وفهم الرسائل التي تصلني "
        * 3
    )
    assert (
        client.patch(
            f"/api/v1/intakes/{ref}",
            headers=proof,
            json={
                "given_name": "Amina",
                "family_name": "Haddad-Al-Khatib",
                "concern_text": long_text[:190],
                "submit": True,
            },
        ).status_code
        == 200
    )
    caseworker = staff_headers(client, "caseworker")
    with session_scope() as session:
        record_id = session.scalar(
            select(IntakeRecord.id).where(IntakeRecord.reference_code == ref)
        )
    sheet = client.get(f"/api/v1/staff/intakes/{record_id}/sheet.pdf", headers=caseworker)
    assert sheet.status_code == 200, sheet.text
    assert layout_problems(render(sheet.content, tmp_path), qr_left=False) == []
