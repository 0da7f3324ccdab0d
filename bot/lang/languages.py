"""The languages the bot serves: those of locales/languages.yml with `bot` in `serves`, through
lotse_shared.languages, so kiosk and bot agree on codes, aliases, fallbacks, directions and
digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lotse_shared import languages as shared

ROOT = Path(__file__).resolve().parents[2]
PART = "bot"
# Languages with hand-written NLU data and a full bot catalog (fa_AF shares fa's NLU data).
BOT_LANGUAGES: tuple[str, ...] = shared.served_by(PART)


def normalize(code: str | None) -> str | None:
    """Maps aliases (prs, kmr, fa-IR, en_GB) to a served code, or None when not served."""
    return shared.normalize(code, PART)


def fallback_chain(code: str | None) -> list[str]:
    """Client language, its parent, then the configured fallbacks (en, de)."""
    return shared.fallback_chain(code, PART)


def babel_locale(code: str) -> str:
    """The CLDR locale to format with; a code neither Lotse nor CLDR knows is returned as it is."""
    try:
        return shared.babel_locale(code)
    except shared.UnknownLanguage:
        return code


def numbering(code: str) -> str:
    """The digits the client reads: languages.yml's choice, else CLDR's default for the locale
    (Persian: arabext)."""
    try:
        return shared.numbering(code)
    except shared.UnknownLanguage:  # a locale CLDR lacks reads Latin digits
        return "latn"


def native_name(code: str) -> str:
    """The language's name in itself, capitalised for buttons (CLDR via Babel, overridden by
    languages.yml)."""
    try:
        name = shared.native_name(code)
    except shared.UnknownLanguage:  # a locale CLDR lacks still gets a visible name
        return code
    return name[:1].upper() + name[1:]


def current_language(slots: dict[str, Any]) -> str:
    """The conversation language from the tracker's slots, else the site default."""
    return normalize(slots.get("language")) or shared.default_language()


def direction(code: str) -> str:
    """`rtl` or `ltr` (CLDR, or languages.yml); ltr for a code neither knows."""
    try:
        return shared.direction(code)
    except shared.UnknownLanguage:
        return "ltr"
