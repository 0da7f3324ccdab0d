"""Understands the day a client types in the booking flow: "tomorrow", "next Tuesday", "3.12."."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale

from bot.lang.languages import babel_locale

WORDS_FILE = Path(__file__).resolve().parents[1] / "support" / "relative_dates.yml"
_NUMERIC = re.compile(r"\b(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?\b")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@lru_cache(maxsize=1)
def _words() -> dict[str, dict[str, list[str]]]:
    with WORDS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _squash(text: str) -> str:
    """Lower case without spaces, ZWNJ or tatweel, so "سه شنبه" matches CLDR's "سه‌شنبه"."""
    return re.sub(r"[\s\u200c\u0640]+", "", text.lower())


@lru_cache(maxsize=32)
def _weekdays(language: str) -> list[list[str]]:
    """For Monday..Sunday, the CLDR names (wide, format and stand-alone) in the language."""
    names: list[list[str]] = [[] for _ in range(7)]
    try:
        loc = Locale.parse(babel_locale(language))
    except Exception:  # noqa: BLE001 - no CLDR data, no weekday names
        return names
    for context in ("format", "stand-alone"):
        for index, name in loc.days[context]["wide"].items():
            if name and _squash(name) not in names[index]:
                names[index].append(_squash(name))
    return names


def parse_day(text: str, language: str, today: date) -> date | None:
    """The day meant by a short answer, or None when it names no day."""
    raw = (text or "").translate(_DIGITS)
    lowered = raw.lower()
    words = _words().get(language) or _words()["en"]
    for key, delta in (("day_after_tomorrow", 2), ("tomorrow", 1), ("today", 0)):
        if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", lowered) for w in words.get(key, [])):
            return today + timedelta(days=delta)
    squashed = _squash(raw)
    weekdays = _weekdays(language)
    # Longest names first, so Persian "سه‌شنبه" is not taken for "شنبه".
    pairs = [(name, index) for index, names in enumerate(weekdays) for name in names]
    pairs += [
        (_squash(stem), index)
        for index, stems in enumerate(words.get("weekday_stems") or [])
        for stem in stems
    ]
    candidates = sorted(pairs, key=lambda x: -len(x[0]))
    for name, index in candidates:
        if name and name in squashed:
            ahead = (index - today.weekday()) % 7 or 7
            day = today + timedelta(days=ahead)
            if any(w in lowered for w in words.get("next_week", [])) and day < today + timedelta(
                days=7 - today.weekday()
            ):
                day += timedelta(days=7)
            return day
    match = _NUMERIC.search(raw)
    if match:
        day_n, month_n, year_s = int(match.group(1)), int(match.group(2)), match.group(3)
        year = int(year_s) + (2000 if year_s and len(year_s) == 2 else 0) if year_s else today.year
        try:
            found = date(year, month_n, day_n)
        except ValueError:
            return None
        if not year_s and found < today:
            found = date(year + 1, month_n, day_n)
        return found
    return None
