"""PDF documents with fonts that cover the clients' scripts (Latin, Arabic, Ethiopic) and a QR code."""
from __future__ import annotations

import io
from pathlib import Path

import segno
from fpdf import FPDF

from kiosk_api.errors import LotseError

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"), Path("/usr/local/share/fonts"))
MAIN_FONTS = ("dejavu/DejaVuSans.ttf", "noto/NotoSans-Regular.ttf")
FALLBACK_FONTS = ("noto/NotoSansArabic-Regular.ttf", "noto/NotoNaskhArabic-Regular.ttf", "noto/NotoSansEthiopic-Regular.ttf")


class FontMissing(LotseError):
    status_code = 503
    code = "pdf_font_missing"


def _find(relative: str) -> Path | None:
    return next((base / relative for base in FONT_DIRS if (base / relative).exists()), None)


def new_document(title: str) -> FPDF:
    """An A4 document whose font "main" falls back to Arabic and Ethiopic fonts, with text shaping on."""
    main = next((path for path in map(_find, MAIN_FONTS) if path), None)
    if main is None:
        raise FontMissing()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Lotse")
    pdf.add_font("main", fname=str(main))
    fallbacks = []
    for index, path in enumerate(p for p in map(_find, FALLBACK_FONTS) if p):
        pdf.add_font(f"fallback{index}", fname=str(path))
        fallbacks.append(f"fallback{index}")
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks)
    pdf.set_text_shaping(True)
    pdf.add_page()
    return pdf


def place_qr(pdf: FPDF, data: str, *, x: float, y: float, width: float = 28) -> None:
    image = io.BytesIO()
    segno.make(data, error="m").save(image, kind="png", scale=4, border=1)
    image.seek(0)
    pdf.image(image, x=x, y=y, w=width)
