"""The languages the bot serves: read from locales/languages.yml so kiosk and bot agree."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES_FILE = ROOT / "locales" / "languages.yml"
# Languages with hand-written NLU data and a full bot catalog (fa_AF shares fa's NLU data).
BOT_LANGUAGES: tuple[str, ...] = ("de", "en", "ar", "fa", "fa_AF", "fr", "tr", "ku", "ti", "ps", "uk", "ru", "so")
RTL_LANGUAGES = frozenset({"ar", "fa", "fa_AF", "ps", "ckb"})
DEFAULT_LANGUAGE = "de"


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    with LANGUAGES_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def normalize(code: str | None) -> str | None:
    """Maps aliases (prs, kmr, fa-IR, en_GB) to a served code, or None when not served."""
    if not code:
        return None
    raw = str(code).strip().replace("-", "_")
    cfg = config()
    aliases = cfg.get("aliases") or {}
    for candidate in (raw, raw.lower(), raw.split("_")[0].lower()):
        candidate = aliases.get(candidate, candidate)
        if candidate in cfg["languages"] and candidate in BOT_LANGUAGES:
            return candidate
    return None


def fallback_chain(code: str | None) -> list[str]:
    """Client language, its parent, then the configured fallbacks (en, de)."""
    cfg = config()
    chain: list[str] = []
    lang = normalize(code)
    while lang and lang not in chain:
        chain.append(lang)
        lang = (cfg["languages"].get(lang) or {}).get("parent")
    for fallback in cfg.get("fallback") or ["en", "de"]:
        if fallback not in chain:
            chain.append(fallback)
    return chain


def babel_locale(code: str) -> str:
    entry = config()["languages"].get(code) or {}
    return entry.get("babel", code)


def numbering(code: str) -> str:
    """The digits the client reads: languages.yml's choice, else CLDR's default for the locale (Persian: arabext)."""
    from babel import Locale

    chosen = (config()["languages"].get(code) or {}).get("numbering")
    if chosen:
        return chosen
    try:
        return Locale.parse(babel_locale(code)).default_numbering_system
    except Exception:  # noqa: BLE001 - a locale CLDR lacks reads Latin digits
        return "latn"


def native_name(code: str) -> str:
    """The language's name in itself (CLDR via Babel, overridden by languages.yml)."""
    from babel import Locale

    entry = config()["languages"].get(code) or {}
    if entry.get("native_name"):
        return entry["native_name"]
    try:
        loc = Locale.parse(babel_locale(code))
        name = loc.get_display_name(loc) or code
    except Exception:  # noqa: BLE001 - a locale CLDR lacks still gets a visible name
        return code
    return name[:1].upper() + name[1:]


def current_language(slots: dict[str, Any]) -> str:
    """The conversation language from the tracker's slots, else the site default."""
    return normalize(slots.get("language")) or DEFAULT_LANGUAGE


def direction(code: str) -> str:
    return "rtl" if code in RTL_LANGUAGES else "ltr"
