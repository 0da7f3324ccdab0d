"""The bot's gettext catalogs (locales/<lang>/LC_MESSAGES/bot.po), read once with Babel."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from bot.lang.languages import PART
from lotse_shared.languages import LOCALES_DIR, fallback_chain

logger = logging.getLogger(__name__)
LOCALES = LOCALES_DIR
DOMAIN = "bot"


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path) -> dict[str, str]:
    """msgid -> msgstr, leaving out empty and fuzzy entries (they fall back instead)."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    entries: dict[str, str] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not isinstance(message.id, str):
            continue
        if isinstance(message.string, str) and message.string.strip():
            entries[message.id] = message.string
    return entries


@lru_cache(maxsize=1)
def all_catalogs() -> dict[str, dict[str, str]]:
    catalogs = {}
    for path in sorted(LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        catalogs[path.parent.parent.name] = read_catalog(path)
    return catalogs


def lookup(key: str, language: str | None) -> tuple[str, str] | None:
    """(text, language it was found in), following language -> parent -> en -> de."""
    catalogs = all_catalogs()
    for lang in fallback_chain(language, PART):
        text = catalogs.get(lang, {}).get(key)
        if text:
            if lang != language:
                logger.info("bot catalog: %s missing in %s, using %s", key, language, lang)
            return text, lang
    return None
