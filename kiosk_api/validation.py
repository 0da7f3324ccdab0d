"""Reusable field validators: language codes, plausible dates, countries."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Annotated

from babel import Locale
from pydantic import AfterValidator, StringConstraints

from kiosk_api import clock

_OLDEST = date(1900, 1, 1)
# Rasa sender ids (socket.io session ids, Telegram chat ids, phone numbers); no '/' or '?' so they
# stay one URL segment.
CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_:+.@=-]{1,128}$"


def language_code(value: str) -> str:
    """Accepts the spellings clients send (ar-SY, fa_AF, prs, kmr) and stores Lotse's own code."""
    from kiosk_api.i18n import normalize_code

    code = normalize_code(value)
    if code is None:
        raise ValueError(f"unsupported language code {value!r}")
    return code


def past_date(value: date) -> date:
    if value > clock.today():
        raise ValueError("date lies in the future")
    if value < _OLDEST:
        raise ValueError("date before 1900")
    return value


def recent_or_past_date(value: date) -> date:
    """Documents can be dated a few days ahead (issued today, valid from Monday)."""
    if value > clock.today() + timedelta(days=31):
        raise ValueError("date lies too far in the future")
    if value < _OLDEST:
        raise ValueError("date before 1900")
    return value


_COUNTRIES = frozenset(
    code for code in Locale("en").territories if len(code) == 2 and code.isalpha()
)


def country_code(value: str) -> str:
    value = value.upper()
    if value not in _COUNTRIES:
        raise ValueError(f"unknown country code {value!r} (ISO 3166-1 alpha-2 expected)")
    return value


LanguageCode = Annotated[
    str, StringConstraints(min_length=2, max_length=16), AfterValidator(language_code)
]
PastDate = Annotated[date, AfterValidator(past_date)]
RecentOrPastDate = Annotated[date, AfterValidator(recent_or_past_date)]

# Control characters and the bidirectional embeddings, overrides and isolates: invisible, they let a
# name read differently on the desk's screen or in a PDF than what was typed ("Amina\u202eadiH").
_CONTROL_OR_BIDI = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK_OR_TAB = re.compile("[\t\n\r]")


def _plain(value: str, *, lines: bool) -> str:
    if _CONTROL_OR_BIDI.search(value) or (not lines and _LINE_BREAK_OR_TAB.search(value)):
        raise ValueError("contains control or text-direction characters")
    return unicodedata.normalize("NFC", value)


def plain_line(value: str) -> str:
    """One line of text (a name): NFC, no control, line-break or direction-override characters."""
    return _plain(value, lines=False)


def plain_text(value: str) -> str:
    """Free text: NFC, line breaks and tabs allowed, no other control or direction characters."""
    return _plain(value, lines=True)


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(plain_line),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(plain_text),
]
MessageText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(plain_text),
]
