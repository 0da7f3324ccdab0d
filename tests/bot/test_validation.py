"""Checks of the answers in the pre-registration form."""

from __future__ import annotations

from datetime import date

from bot.actions import validation

TODAY = date(2026, 11, 24)


def test_birth_dates():
    assert validation.birth_date("31.12.1990", TODAY) == "1990-12-31"
    assert validation.birth_date("31/12/1990", TODAY) == "1990-12-31"
    assert validation.birth_date("1990-12-31", TODAY) == "1990-12-31"
    assert validation.birth_date("٣١.١٢.١٩٩٠", TODAY) == "1990-12-31"  # Arabic-Indic digits
    assert validation.birth_date("۳۱.۱۲.۱۹۹۰", TODAY) == "1990-12-31"  # Persian digits
    assert validation.birth_date("31.02.1990", TODAY) is None
    assert validation.birth_date("01.01.2030", TODAY) is None  # future
    assert validation.birth_date("01.01.1890", TODAY) is None
    assert validation.birth_date("gestern", TODAY) is None


def test_phones():
    assert validation.phone("+49 151 23456789") == "+49 151 23456789"
    assert validation.phone("0231/123456") == "0231/123456"
    assert validation.phone("۰۱۵۱۲۳۴۵۶۷۸") == "015123456789"[:11]
    assert validation.phone("12") is None
    assert validation.phone("call me") is None


def test_residence_status_from_buttons_and_typed_german_words():
    assert validation.residence_status("permit_25_2") == "permit_25_2"
    assert validation.residence_status("Ich habe eine Duldung") == "duldung"
    assert validation.residence_status("Aufenthaltsgestattung") == "aufenthaltsgestattung"
    assert validation.residence_status("something else") is None


def test_names():
    assert validation.name("  Amal   Haddad ") == "Amal Haddad"
    assert validation.name("/skip") is None
    assert validation.name("12345") is None
