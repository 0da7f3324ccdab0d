"""Relative days in the booking flow, per language (today is Tuesday, 24 November 2026)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.actions.dates import parse_day

TUESDAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("de", "morgen", date(2026, 11, 25)),
        ("de", "übermorgen", date(2026, 11, 26)),
        ("de", "nächsten Dienstag", date(2026, 12, 1)),
        ("de", "nächste Woche Mittwoch", date(2026, 12, 2)),
        ("en", "tomorrow", date(2026, 11, 25)),
        ("en", "next Tuesday", date(2026, 12, 1)),
        ("en", "Friday", date(2026, 11, 27)),
        ("ar", "غدا", date(2026, 11, 25)),
        ("ar", "بعد غد", date(2026, 11, 26)),
        ("ar", "الثلاثاء القادم", date(2026, 12, 1)),
        ("fa", "فردا", date(2026, 11, 25)),
        ("fa", "سه شنبه آینده", date(2026, 12, 1)),
        ("fa", "شنبه", date(2026, 11, 28)),
        ("fr", "demain", date(2026, 11, 25)),
        ("fr", "mardi prochain", date(2026, 12, 1)),
        ("tr", "yarın", date(2026, 11, 25)),
        ("tr", "gelecek salı", date(2026, 12, 1)),
        ("ku", "sibê", date(2026, 11, 25)),
        ("ti", "ጽባሕ", date(2026, 11, 25)),
        ("ps", "سبا", date(2026, 11, 25)),
        ("uk", "завтра", date(2026, 11, 25)),
        ("uk", "наступного вівторка", date(2026, 12, 1)),
        ("de", "3.12.", date(2026, 12, 3)),
        ("ar", "٣/١٢", date(2026, 12, 3)),
        ("de", "2.1.", date(2027, 1, 2)),
    ],
)
def test_days(language, text, expected):
    assert parse_day(text, language, TUESDAY) == expected


def test_no_day():
    assert parse_day("keine Ahnung", "de", TUESDAY) is None
    assert parse_day("31.02.", "de", TUESDAY) is None
