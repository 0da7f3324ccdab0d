"""Languages, catalog lookup and locale formatting for the kiosk API (Babel/CLDR, gettext catalogs).

Catalog message ids are stable keys (`error.slot_full`); the `en` catalog holds the English text.
Lookup falls back client language -> its parent (fa_AF -> fa) -> en -> de and never returns a raw
key.
"""

from __future__ import annotations

import datetime as dt
import gettext
import logging
import os
import re
import string
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lotse_shared import languages as shared
from lotse_shared.languages import Language

log = logging.getLogger(__name__)

DEFAULT_LOCALES_DIR = shared.LOCALES_DIR
# The part of Lotse this module serves (`serves:` in languages.yml).
PART = "kiosk"
# Shown when a key has no text in any catalog of the chain, itself looked up like any other key.
UNAVAILABLE_KEY = "common.text_unavailable"
_LAST_RESORT = "…"
# A language code the kiosk does not offer (get_language) nor CLDR knows (direction, language_name).
UnknownLanguage = shared.UnknownLanguage

# Bidi marks Babel and phones put around numbers; they must not break parsing.
_BIDI_MARKS = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None
)


class MissingTranslation(LookupError):
    """A key with no text in the client's language nor in en or de: a bug, caught by tests."""


@dataclass(frozen=True)
class Text:
    """A looked-up text and which catalog it came from, so a page can mark a fallback (lang,
    dir)."""

    text: str
    language: str
    requested: str

    @property
    def is_fallback(self) -> bool:
        return self.language != self.requested


# --- languages (lotse_shared.languages: locales/languages.yml with CLDR) --------------------------


def _locales_dir() -> Path:
    return _locales_path(os.environ.get("LOTSE_LOCALES_DIR") or "")


@lru_cache(maxsize=8)
def _locales_path(configured: str) -> Path:
    # One Path per setting: the caches below hash it on every lookup (desk views do hundreds).
    return Path(configured) if configured else DEFAULT_LOCALES_DIR


def languages(locales_dir: Path | None = None) -> list[Language]:
    """The languages the kiosk offers, in the order of languages.yml."""
    reg = shared.registry(locales_dir or _locales_dir())
    return [reg.languages[code] for code in reg.served_by(PART)]


def language_codes(locales_dir: Path | None = None) -> list[str]:
    return list(shared.served_by(PART, locales_dir=locales_dir or _locales_dir()))


def default_language(locales_dir: Path | None = None) -> str:
    return shared.default_language(locales_dir=locales_dir or _locales_dir())


def normalize_code(code: str | None, locales_dir: Path | None = None) -> str | None:
    """The enabled language code for a tag like `fa-AF`, `AR_sy`, `prs`, or None."""
    if not code:
        return None
    return shared.normalize(code, PART, locales_dir=locales_dir or _locales_dir())


def is_supported(code: str | None, locales_dir: Path | None = None) -> bool:
    return normalize_code(code, locales_dir) is not None


def get_language(code: str, locales_dir: Path | None = None) -> Language:
    return shared.get_language(code, PART, locales_dir=locales_dir or _locales_dir())


def direction(code: str) -> str:
    """`rtl` or `ltr` from CLDR (or languages.yml): rtl for ar, fa, fa_AF, ps, ckb."""
    return shared.direction(code, locales_dir=_locales_dir())


def native_name(code: str) -> str:
    """The language's name in itself (العربية, فارسی, دری, Türkçe, ትግርኛ)."""
    return shared.native_name(code, locales_dir=_locales_dir())


def language_name(code: str, in_language: str) -> str:
    """The name of `code` in another language, e.g. for the German desk: language_name("ar",
    "de") == "Arabisch"."""
    root = _locales_dir()
    if normalize_code(in_language) == "en" and normalize_code(code) is not None:
        return shared.english_name(code, locales_dir=root)
    name = shared.cldr_locale(code, locales_dir=root).get_display_name(
        shared.cldr_locale(in_language, locales_dir=root)
    )
    return name or code


def negotiate(accept_language: str | None, locales_dir: Path | None = None) -> str:
    """The best enabled language for an Accept-Language header; the default (de) if none fits."""
    root = locales_dir or _locales_dir()
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        if quality > 0:
            choices.append((-quality, index, tag))
    for _, _, tag in sorted(choices):
        code = normalize_code(tag, root)
        if code is not None:
            return code
    return default_language(root)


def fallback_chain(code: str, locales_dir: Path | None = None) -> list[str]:
    """Languages tried in order: the language, its parent, then en, de (no repeats)."""
    return shared.fallback_chain(code, PART, locales_dir=locales_dir or _locales_dir())


# --- catalogs ------------------------------------------------------------------------------------


def catalog_path(locales_dir: Path, language: str, domain: str, suffix: str = ".po") -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{domain}{suffix}"


def read_catalog(path: Path) -> Catalog:
    with open(path, "rb") as fh:
        return read_mo(fh) if path.suffix == ".mo" else read_po(fh, abort_invalid=True)


@dataclass(frozen=True)
class _Compiled:
    singular: dict[str, str]
    plural: dict[str, tuple[str, ...]]
    plural_index: Any


def _stamp(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return -1.0


# Catalog files are looked at (stat) at most once per interval, not on every lookup: desk views do
# hundreds.
_STAMP_INTERVAL_SECONDS = 2.0
_stamps: dict[tuple[Path, str, str], tuple[float, float, float]] = {}


def _compiled(locales_dir: Path, language: str, domain: str) -> _Compiled | None:
    key = (locales_dir, language, domain)
    now = time.monotonic()
    seen = _stamps.get(key)
    if seen is None or now - seen[0] > _STAMP_INTERVAL_SECONDS:
        po, mo = (
            catalog_path(locales_dir, language, domain),
            catalog_path(locales_dir, language, domain, ".mo"),
        )
        seen = _stamps[key] = (now, _stamp(po), _stamp(mo))
    return _compiled_cached(locales_dir, language, domain, seen[1], seen[2])


@lru_cache(maxsize=256)
def _compiled_cached(
    locales_dir: Path, language: str, domain: str, po_stamp: float, mo_stamp: float
) -> _Compiled | None:
    # The compiled .mo when it is at least as new as the .po; else the .po itself (fuzzy entries
    # skipped).
    if mo_stamp >= 0 and mo_stamp >= po_stamp:
        path = catalog_path(locales_dir, language, domain, ".mo")
    elif po_stamp >= 0:
        path = catalog_path(locales_dir, language, domain)
    else:
        return None
    catalog = read_catalog(path)
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, (list, tuple)):
            forms = tuple(message.string or ())
            if forms and all(forms):
                plural[message.id[0]] = forms
        elif message.string:
            singular[message.id] = message.string
    return _Compiled(singular, plural, gettext.c2py(catalog.plural_expr or "(n != 1)"))


def reload_catalogs() -> None:
    """Forget loaded catalogs and language data (after `i18n_tools update`, or in tests)."""
    _compiled_cached.cache_clear()
    _stamps.clear()
    shared.reload()


class _KeepMissing(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(text: str, params: dict[str, Any]) -> str:
    if not params:
        return text
    if "%(" in text:
        try:
            text = text % params
        except (KeyError, ValueError, TypeError):
            log.warning("catalog text with bad %%-placeholders")
    if "{" in text:
        try:
            text = string.Formatter().vformat(text, (), _KeepMissing(params))
        except (ValueError, IndexError):
            log.warning("catalog text with bad {}-placeholders")
    return text


def lookup(
    key: str,
    locale: str,
    domain: str = "kiosk",
    *,
    n: int | None = None,
    locales_dir: Path | None = None,
    **params: Any,
) -> Text:
    """The text for `key` in the first language of the fallback chain that has it; raises
    MissingTranslation."""
    root = locales_dir or _locales_dir()
    requested = normalize_code(locale, root) or default_language(root)
    for language in fallback_chain(requested, root):
        compiled = _compiled(root, language, domain)
        if compiled is None:
            continue
        if n is not None and key in compiled.plural:
            forms = compiled.plural[key]
            index = min(max(int(compiled.plural_index(abs(int(n)))), 0), len(forms) - 1)
            return Text(_format(forms[index], {"n": n, **params}), language, requested)
        if key in compiled.singular:
            values = {"n": n, **params} if n is not None else params
            return Text(_format(compiled.singular[key], values), language, requested)
    raise MissingTranslation(f"{domain}:{key}")


def translate(key: str, locale: str, domain: str = "kiosk", **params: Any) -> str:
    """The text for `key` in `locale`, falling back to en then de; never the raw key."""
    return translate_text(key, locale, domain, **params).text


def translate_plural(key: str, n: int, locale: str, domain: str = "kiosk", **params: Any) -> str:
    """A plural entry (msgid and msgid_plural both the key) chosen by the language's plural rule;
    `{n}` is set."""
    return translate_text(key, locale, domain, n=n, **params).text


def translate_text(
    key: str, locale: str, domain: str = "kiosk", *, n: int | None = None, **params: Any
) -> Text:
    """Like translate(), with the language the text came from."""
    try:
        return lookup(key, locale, domain, n=n, **params)
    except MissingTranslation:
        log.error("no text for catalog key %s:%s in any fallback language", domain, key)
    try:
        return lookup(UNAVAILABLE_KEY, locale, domain)
    except MissingTranslation:
        return Text(_LAST_RESORT, default_language(), normalize_code(locale) or default_language())


# Marker for extraction (`i18n_tools extract` looks for t("key") and nt("key", n)).
t = translate
nt = translate_plural


# --- formatting ----------------------------------------------------------------------------------


def _formatting(locale: str) -> tuple[Locale, str]:
    lang = get_language(locale)
    return Locale.parse(lang.babel_locale), lang.numbering_system


def localize_digits(text: str, numbering_system: str) -> str:
    """Replace Latin digits by the numbering system's digits (Babel writes Latin digits only)."""
    return shared.to_numbering_system(text, numbering_system)


def numbering_system(locale: str) -> str:
    return get_language(locale).numbering_system


def _number_system_for_symbols(loc: Locale, system: str) -> str:
    try:
        babel_numbers.get_decimal_symbol(loc, numbering_system=system)
        return system
    except babel_numbers.UnsupportedNumberingSystemError:
        return "latn"


def format_number(value: int | float | Decimal, locale: str) -> str:
    """A number with the locale's separators and digits: 1.234,5 (de), ١٬٢٣٤٫٥ (ar), ۱٬۲۳۴٫۵
    (fa)."""
    loc, system = _formatting(locale)
    text = babel_numbers.format_decimal(
        value, locale=loc, numbering_system=_number_system_for_symbols(loc, system)
    )
    return localize_digits(text, system)


def format_currency(amount: int | float | Decimal, locale: str, currency: str = "EUR") -> str:
    """An amount of money, e.g. 563,00 € (de), €563.00 (en)."""
    loc, system = _formatting(locale)
    text = babel_numbers.format_currency(
        amount, currency, locale=loc, numbering_system=_number_system_for_symbols(loc, system)
    )
    return localize_digits(text, system)


def format_date(value: dt.date, locale: str, format: str = "long") -> str:
    """A date, e.g. 24. November 2026 (de), ٢٤ نوفمبر ٢٠٢٦ (ar)."""
    loc, system = _formatting(locale)
    return localize_digits(babel_dates.format_date(value, format=format, locale=loc), system)


# Clients and staff read times on the job centre's clock; stored datetimes are UTC.
DISPLAY_TIMEZONE = "Europe/Berlin"


def format_time(
    value: dt.time | dt.datetime,
    locale: str,
    format: str = "short",
    timezone: str | None = DISPLAY_TIMEZONE,
) -> str:
    """A time of day, e.g. 09:30 (de), ۹:۳۰ (fa); datetimes are shown in `timezone` (naive ones
    taken as UTC)."""
    loc, system = _formatting(locale)
    tz = babel_dates.get_timezone(timezone) if timezone and isinstance(value, dt.datetime) else None
    return localize_digits(
        babel_dates.format_time(value, format=format, tzinfo=tz, locale=loc), system
    )


def format_datetime(
    value: dt.datetime, locale: str, format: str = "medium", timezone: str | None = DISPLAY_TIMEZONE
) -> str:
    """A date and time in `timezone` (naive datetimes taken as UTC), e.g. 24.11.2026, 10:30:00
    (de)."""
    loc, system = _formatting(locale)
    tz = babel_dates.get_timezone(timezone) if timezone else None
    return localize_digits(
        babel_dates.format_datetime(value, format=format, tzinfo=tz, locale=loc), system
    )


# --- parsing what clients type -------------------------------------------------------------------


def normalize_digits(text: str) -> str:
    """Any Unicode decimal digits (Arabic-Indic ٣, Persian ۳, fullwidth ３ ...) as ASCII digits;
    bidi marks removed."""
    return shared.to_latin_digits(text.translate(_BIDI_MARKS))


def parse_int(text: str) -> int:
    """An integer typed with Western or Eastern Arabic digits, spaces allowed: '٠١٧٦ ٢٣' ->
    17623."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", normalize_digits(text))
    if not re.fullmatch(r"[+-]?\d+", cleaned):
        raise ValueError(f"not a whole number: {text!r}")
    return int(cleaned)


def parse_number(text: str, locale: str) -> Decimal:
    """A decimal number in the locale's notation, with Western or Eastern Arabic digits and
    separators."""
    loc, _ = _formatting(locale)
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", normalize_digits(text))
    if "٫" in cleaned or "٬" in cleaned:  # Arabic decimal and group separators
        cleaned = cleaned.replace("٬", "").replace("٫", ".")
        loc = Locale.parse("en")
    try:
        return babel_numbers.parse_decimal(cleaned, locale=loc, numbering_system="latn")
    except (babel_numbers.NumberFormatError, InvalidOperation) as exc:
        raise ValueError(f"not a number: {text!r}") from exc


_DATE_PATTERNS = (
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"), ("d", "m", "y")),
)


def parse_date(text: str) -> dt.date:
    """A date typed as ISO (2026-11-24) or day first (24.11.2026, 24/11/2026), in any digits."""
    cleaned = re.sub(r"\s", "", normalize_digits(text)).replace("\u060c", "")
    for pattern, order in _DATE_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match:
            parts = dict(zip(order, map(int, match.groups())))
            return dt.date(parts["y"], parts["m"], parts["d"])
    raise ValueError(f"not a date: {text!r}")
