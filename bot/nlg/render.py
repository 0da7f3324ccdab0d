"""Renders a response name in the client's language: catalog text, Babel-formatted values,
buttons."""

from __future__ import annotations

import json
import logging
import re
import string
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.lists import format_list

from bot.lang.languages import BOT_LANGUAGES, babel_locale, direction, native_name
from bot.nlg.catalogs import lookup
from lotse_shared.languages import localize_digits

logger = logging.getLogger(__name__)
SITE_TZ = ZoneInfo("Europe/Berlin")
MISSING_TEXT_KEY = "utter_default"
LABEL_PREFIXES = ("value.", "residence.", "field.")


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    """Babel's locale of a language, looked up once: 36 µs of CPU per call before, four or five
    calls per bot message (a plain response rendered in 121 µs, now 77 µs)."""
    try:
        return Locale.parse(babel_locale(language))
    except Exception:  # noqa: BLE001 - CLDR gaps fall back to English formatting
        return Locale.parse("en")


def digits(text: str, language: str) -> str:
    """Uses the digits the client reads (Arabic-Indic for Arabic, per languages.yml)."""
    return localize_digits(text, language)


def _as_datetime(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else parse_moment(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SITE_TZ)
    return moment.astimezone(SITE_TZ)


def parse_moment(text: str) -> datetime:
    """ISO 8601 from the API; Python 3.10 does not read the "Z" suffix itself."""
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def format_value(name: str, value: Any, language: str) -> str:
    """Formats by naming convention: *_date, *_datetime, *_time are ISO strings from the API."""
    if not name.endswith(("_datetime", "_date", "_time")):
        return "" if value is None else str(value)
    loc = _locale(language)
    try:
        if name.endswith("_datetime"):
            moment = _as_datetime(value)
            text = (
                f"{format_date(moment.date(), 'full', locale=loc)}, "
                f"{format_time(moment, 'short', locale=loc)}"
            )
            return digits(text, language)
        if name.endswith("_date"):
            day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
            return digits(format_date(day, "long", locale=loc), language)
        if name.endswith("_time"):
            return digits(format_time(_as_datetime(value), "short", locale=loc), language)
    except (TypeError, ValueError):
        logger.warning("cannot format %s", name)
    return "" if value is None else str(value)


class _Params(dict):
    """Missing placeholders render empty (and are logged) instead of leaking braces."""

    def __missing__(self, key: str) -> str:
        logger.warning("response placeholder {%s} has no value", key)
        return ""


def fill(template: str, params: dict[str, Any]) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not fields:
        return template
    return template.format_map(_Params(params))


def text(key: str, language: str, params: dict[str, Any] | None = None) -> str | None:
    found = lookup(key, language)
    if found is None:
        return None
    return fill(found[0], params or {})


def day_pattern(loc: Locale) -> str:
    """Weekday, day and month in the locale's own order and punctuation ("پنجشنبه ۳ دسامبر",
    "Thursday, December 3")."""
    skeleton = loc.datetime_skeletons.get("MMMMEd")
    return re.sub(r"E+", "EEEE", str(skeleton.pattern)) if skeleton is not None else "EEEE d MMMM"


def _clock(value: Any, loc: Locale) -> str:
    """An opening or closing time ("08:00" from the API) as the locale writes times."""
    moment = value if isinstance(value, time) else time.fromisoformat(str(value)[:8])
    return format_time(moment, "short", locale=loc)


def opening_hours(hours: list[dict[str, Any]] | None, language: str) -> str:
    """One line per weekday (0 = Monday), its weekday name and times in the client's locale:
    "Donnerstag: 08:00–12:30, 14:00–17:30"."""
    loc = _locale(language)
    by_day: dict[int, list[str]] = {}
    for window in sorted(hours or [], key=lambda w: (int(w["weekday"]), str(w["opens"]))):
        day = int(window["weekday"])
        by_day.setdefault(day, []).append(
            f"{_clock(window['opens'], loc)}–{_clock(window['closes'], loc)}"
        )
    weekdays = loc.days["format"]["wide"]
    lines = [
        f"{weekdays[day]}: {format_list(spans, locale=loc)}"
        for day, spans in sorted(by_day.items())
    ]
    return digits("\n".join(lines), language)


def office_address(office: dict[str, Any]) -> str:
    """The site's name, street, postcode and town, and phone when it has one (as written in its
    configuration)."""
    town = " ".join(part for part in (office.get("postcode"), office.get("city")) if part)
    phone = f"☎ {office['phone']}" if office.get("phone") else ""
    return "\n".join(
        line for line in (office.get("name"), office.get("street"), town, phone) if line
    )


def _button(title: str | None, payload: str) -> dict[str, str] | None:
    return {"title": title, "payload": payload} if title else None


def dynamic_buttons(kwargs: dict[str, Any], language: str) -> list[dict[str, str]]:
    """Buttons whose titles are data (days, times, languages, sites), formatted for the
    client."""
    loc = _locale(language)
    buttons: list[dict[str, str] | None] = []
    for day in kwargs.get("days") or []:
        title = digits(format_date(date.fromisoformat(day), day_pattern(loc), locale=loc), language)
        buttons.append(_button(title, "/inform" + json.dumps({"day": day})))
    for slot in kwargs.get("slots") or []:
        title = format_value("start_time", slot["starts_at"], language)
        if slot.get("interpreter_language"):
            title = f"{title} · {native_name(slot['interpreter_language'])}"
        buttons.append(_button(title, "/inform" + json.dumps({"slot_id": str(slot["id"])})))
    if kwargs.get("language_buttons"):
        for code in BOT_LANGUAGES:
            buttons.append(
                _button(native_name(code), "/choose_language" + json.dumps({"language": code}))
            )
    for site in kwargs.get("sites") or []:
        buttons.append(
            _button(site.get("name"), "/inform" + json.dumps({"site_code": site["code"]}))
        )
    for choice in kwargs.get("choices") or []:
        buttons.append(
            _button(text(choice["title_key"], language, choice.get("params")), choice["payload"])
        )
    return [b for b in buttons if b]


def render(
    key: str,
    language: str,
    template: dict[str, Any] | None,
    slots: dict[str, Any],
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """One bot message: {text, buttons, language, direction}."""
    params: dict[str, Any] = {k: v for k, v in slots.items() if isinstance(v, (str, int, float))}
    for name, value in kwargs.items():
        if isinstance(value, (str, int, float, date)) or value is None:
            params[name] = format_value(name, value, language)
    for name, value in list(params.items()):
        # Values that are catalog keys (a residence status, "not given") are shown translated.
        if isinstance(value, str) and value.startswith(LABEL_PREFIXES):
            params[name] = text(value, language) or ""
    if "notes" in kwargs:  # catalog keys of short notes, one line each
        params["notes"] = "\n".join(
            line for line in (text(key, language) for key in kwargs["notes"]) if line
        )
    if "documents" in kwargs:
        lines = [text(f"doc.{doc}", language) for doc in kwargs["documents"]]
        params["documents"] = "\n".join(f"• {line}" for line in lines if line)
    if "office" in kwargs:  # the site responsible for the client (bot/actions/site.py)
        office = kwargs["office"] or {}
        params["office_address"] = office_address(office)
        params["opening_hours"] = opening_hours(office.get("opening_hours"), language) or (
            text("value.no_opening_hours", language) or ""
        )
    params.setdefault("language_name", native_name(language))
    body = text(key, language, params)
    if body is None:
        logger.error("response %s has no text in any catalog", key)
        body = text(MISSING_TEXT_KEY, language, params) or ""
    buttons: list[dict[str, str]] = []
    for button in (template or {}).get("buttons") or []:
        made = _button(text(button["title"], language, params), button["payload"])
        if made:
            buttons.append(made)
    buttons = dynamic_buttons(kwargs, language) + buttons
    message: dict[str, Any] = {"text": body, "language": language, "direction": direction(language)}
    if buttons:
        message["buttons"] = buttons
    return message
