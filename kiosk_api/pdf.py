"""PDF documents with fonts that cover the clients' scripts (Latin, Arabic, Ethiopic) and a QR code
in the header.

Line breaks are measured with the main font, so the main font is the one of the document's
script; the others only fill in glyphs it lacks (a German term in an Arabic text)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from kiosk_api.errors import LotseError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype"),
    Path("/usr/share/fonts/opentype"),
    Path("/usr/local/share/fonts"),
)
LATIN_FONTS = ("dejavu/DejaVuSans.ttf", "noto/NotoSans-Regular.ttf")
ARABIC_FONTS = ("noto/NotoSansArabic-Regular.ttf", "noto/NotoNaskhArabic-Regular.ttf")
ETHIOPIC_FONTS = ("noto/NotoSansEthiopic-Regular.ttf", "noto/NotoSerifEthiopic-Regular.ttf")
ARABIC_SCRIPT_LANGUAGES = frozenset({"ar", "fa", "fa_AF", "ps", "ckb"})
ETHIOPIC_SCRIPT_LANGUAGES = frozenset({"ti", "am"})
MARGIN = 10.0
QR_SIZE = 28.0
GAP = 4.0


class FontMissing(LotseError):
    status_code = 503
    code = "pdf_font_missing"


def _find(relative: str) -> Path | None:
    return next((base / relative for base in FONT_DIRS if (base / relative).exists()), None)


def _first(candidates: Sequence[str]) -> Path | None:
    return next((path for path in map(_find, candidates) if path), None)


def new_document(title: str, language: str = "de") -> FPDF:
    """An A4 document whose font "main" is made for `language`'s script, falling back to the
    other scripts."""
    scripts = [LATIN_FONTS, ARABIC_FONTS, ETHIOPIC_FONTS]
    if language in ARABIC_SCRIPT_LANGUAGES:
        scripts = [ARABIC_FONTS, LATIN_FONTS, ETHIOPIC_FONTS]
    elif language in ETHIOPIC_SCRIPT_LANGUAGES:
        scripts = [ETHIOPIC_FONTS, LATIN_FONTS, ARABIC_FONTS]
    fonts = [path for path in (_first(candidates) for candidates in scripts) if path]
    if not fonts or _first(scripts[0]) is None:
        raise FontMissing()
    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN + 5)
    pdf.set_title(title)
    pdf.set_creator("Lotse")
    pdf.add_font("main", fname=str(fonts[0]))
    for index, path in enumerate(fonts[1:]):
        pdf.add_font(f"fallback{index}", fname=str(path))
    if len(fonts) > 1:
        pdf.set_fallback_fonts([f"fallback{index}" for index in range(len(fonts) - 1)])
    pdf.set_text_shaping(True)
    pdf.add_page()
    return pdf


def set_main_font(pdf: FPDF, size: float) -> None:
    """The main font at `size`. fpdf2 2.8 skips set_font when family and size look unchanged,
    even while the last text ended in a fallback font: Ethiopic text after "LT-ABCD-1234" was
    then measured with DejaVu's widths and its letters overlapped. Selecting another font first
    makes the change real."""
    if "fallback0" in pdf.fonts:
        pdf.set_font("fallback0", size=size)
    pdf.set_font("main", size=size)


@dataclass(frozen=True)
class HeaderLine:
    text: str
    size: float
    height: float


def header_with_qr(
    pdf: FPDF, lines: Sequence[HeaderLine], qr_data: str, *, rtl: bool = False
) -> None:
    """The QR code in the top corner (left in right-to-left documents), the lines in the column
    beside it; the body then starts below both, so no text runs under the code."""
    qr_x = MARGIN if rtl else pdf.w - MARGIN - QR_SIZE
    place_qr(pdf, qr_data, x=qr_x, y=MARGIN, width=QR_SIZE)
    column = pdf.w - 2 * MARGIN - QR_SIZE - GAP
    left = MARGIN + QR_SIZE + GAP if rtl else MARGIN
    pdf.set_xy(left, MARGIN)
    for line in lines:
        set_main_font(pdf, line.size)
        pdf.set_x(left)
        pdf.multi_cell(
            column, line.height, line.text, align="R" if rtl else "L", new_x="LEFT", new_y="NEXT"
        )
    pdf.set_xy(MARGIN, max(pdf.get_y(), MARGIN + QR_SIZE) + GAP)


def place_qr(pdf: FPDF, data: str, *, x: float, y: float, width: float = QR_SIZE) -> None:
    image = io.BytesIO()
    segno.make(data, error="m").save(image, kind="png", scale=4, border=1)
    image.seek(0)
    pdf.image(image, x=x, y=y, w=width)
