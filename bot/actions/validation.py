"""Checks of the client's answers; return the stored form of a value, or None when it is not
valid."""

from __future__ import annotations

import re
from datetime import date

from lotse_shared.residence import RESIDENCE_STATUSES

SKIPPED = "__skipped__"
# German words on the documents, as clients type them: the card says what it is in German.
_RESIDENCE_WORDS = (
    ("duldung", "duldung"),
    ("gestattung", "aufenthaltsgestattung"),
    ("fiktion", "fiktionsbescheinigung"),
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{4,24}[0-9]$")
_DMY = re.compile(r"^\s*(\d{1,2})\s*[./\- ]\s*(\d{1,2})\s*[./\- ]\s*(\d{4})\s*$")
_YMD = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def name(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    if not text or len(text) > 200 or text.startswith("/") or not any(ch.isalpha() for ch in text):
        return None
    return text


def birth_date(value: str | None, today: date) -> str | None:
    """ISO date of a day in the past (at most 120 years ago), from 31.12.1990, 31/12/1990 or
    1990-12-31."""
    text = (value or "").translate(_DIGITS)
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _YMD.match(text)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if found >= today or found.year < today.year - 120:
        return None
    return found.isoformat()


def phone(value: str | None) -> str | None:
    text = (value or "").translate(_DIGITS).strip()
    if not _PHONE.match(text) or sum(ch.isdigit() for ch in text) < 6:
        return None
    return text


def residence_status(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    if text in RESIDENCE_STATUSES:
        return text
    for word, status in _RESIDENCE_WORDS:
        if word in text:
            return status
    return None


def free_text(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text[:2000] if text and not text.startswith("/") else None
