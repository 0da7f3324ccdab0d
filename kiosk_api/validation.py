"""Reusable field validators: language codes, plausible dates, countries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from babel import Locale
from pydantic import AfterValidator, StringConstraints

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
    if value > date.today():
        raise ValueError("date lies in the future")
    if value < _OLDEST:
        raise ValueError("date before 1900")
    return value


def recent_or_past_date(value: date) -> date:
    """Documents can be dated a few days ahead (issued today, valid from Monday)."""
    if value > date.today() + timedelta(days=31):
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
