"""What the web pages need from the server: UI strings per page, voices, fonts, QR codes."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno

from kiosk_api import i18n

# Catalog key prefixes each page needs; the browser gets exactly these, never the whole catalog.
PAGE_PREFIXES: dict[str, tuple[str, ...]] = {
    "kiosk": ("kiosk.", "web.", "concern.", "ticket_status.", "service.", "common."),
    "ticket": ("ticket.", "kiosk.ticket.service", "web.", "ticket_status.", "service.", "common."),
    "display": ("display.", "web."),
    "desk": (
        "desk.",
        "web.",
        "concern.",
        "ticket_status.",
        "field.",
        "residence_status.",
        "common.",
    ),
    "chat": ("chat.", "web."),
    "volunteer": ("volunteer.", "kiosk.ticket.", "web.", "field.", "concern.", "common."),
    "checklist": ("checklist.", "kiosk.checkin.", "web.", "common."),
    "info": ("info.", "theme.", "web.", "common."),
}

# Fonts from Debian's fonts-noto-core / fonts-dejavu-core, served by name from this list only.
FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu"))
FONTS = frozenset(
    {
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSansArabic-Regular.ttf",
        "NotoSansArabic-Bold.ttf",
        "NotoSansEthiopic-Regular.ttf",
        "NotoSansEthiopic-Bold.ttf",
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
    }
)


# Offline voices of espeak-ng (Debian package) for the languages it speaks well enough; the others
# get no read-aloud.
VOICES = {
    "de": "de",
    "en": "en",
    "ar": "ar",
    "fa": "fa",
    "fa_AF": "fa",
    "fr": "fr",
    "tr": "tr",
    "ku": "ku",
    "uk": "uk",
    "ru": "ru",
}


@dataclass(frozen=True)
class UiStrings:
    language: str
    direction: str
    strings: dict[str, str]
    # key -> language the text came from, where it is not the requested one (shown with its own
    # lang/dir)
    fallback: dict[str, str]


def _catalog_keys(domain: str) -> tuple[str, ...]:
    path = i18n.catalog_path(i18n._locales_dir(), "en", domain)
    return _keys_of(path, path.stat().st_mtime)


@lru_cache(maxsize=8)
def _keys_of(path: Path, _mtime: float) -> tuple[str, ...]:
    return tuple(m.id for m in i18n.read_catalog(path) if m.id and isinstance(m.id, str))


def ui_strings(*, page: str, language: str) -> UiStrings:
    """The texts of one page in one language; keys without a translation fall back to en, then
    de."""
    prefixes = PAGE_PREFIXES[page]
    code = i18n.normalize_code(language) or i18n.default_language()
    strings: dict[str, str] = {}
    fallback: dict[str, str] = {}
    for key in _catalog_keys("kiosk"):
        if not key.startswith(prefixes):
            continue
        text = i18n.translate_text(key, code)
        strings[key] = text.text
        if text.is_fallback:
            fallback[key] = text.language
    return UiStrings(
        language=code, direction=i18n.direction(code), strings=strings, fallback=fallback
    )


def voice(language: str) -> str | None:
    code = i18n.normalize_code(language)
    return VOICES.get(code or "") if shutil.which("espeak-ng") else None


def voices() -> list[str]:
    return [code for code in i18n.language_codes() if voice(code)]


@lru_cache(maxsize=512)
def speech_wav(text: str, voice_name: str) -> bytes:
    """A catalog text spoken by espeak-ng, as WAV; the text goes in on stdin, never as an
    argument."""
    result = subprocess.run(
        ["espeak-ng", "-v", voice_name, "-s", "140", "--stdout"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=20,
        check=True,
    )
    return result.stdout


def font_path(name: str) -> Path | None:
    if name not in FONTS:
        return None
    for folder in FONT_DIRS:
        path = folder / name
        if path.is_file():
            return path
    return None


def qr_svg(url: str) -> bytes:
    """A QR code of a URL as SVG: dark modules on white, a quiet zone, scalable for print."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer,
        kind="svg",
        scale=6,
        border=4,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        title=None,
        desc=None,
    )
    return buffer.getvalue()
