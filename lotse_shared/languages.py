"""The languages of Lotse, read from locales/languages.yml: the one registry the kiosk API and the
bot use.

Per language: which parts serve it (kiosk, bot, content), its CLDR locale, names, text direction,
digits, parent and aliases. Direction and digits come from CLDR (Babel) unless languages.yml
overrides them.

    normalize("fa-AF") == "fa_AF"; normalize("prs") == "fa_AF"; normalize("fa-IR") == "fa"
    fallback_chain("fa_AF") == ["fa_AF", "fa", "en", "de"]
    direction("ps") == "rtl"; numbering("fa") == "arabext"; numbering("ar") == "arab"
    localize_digits("2026", "fa") == "۲۰۲۶"; to_latin_digits("٢٠٢٦") == "2026"

Codes outside languages.yml are looked up in CLDR directly where that makes sense (direction("ckb")
== "rtl"); UnknownLanguage when CLDR does not know them either. Runs on Python 3.10 (bot) and 3.11
(kiosk API).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from lotse_shared.files import read_yaml

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES_FILE = "languages.yml"
# The parts of Lotse a language can be served by (`serves:` in languages.yml).
PARTS: tuple[str, ...] = ("kiosk", "bot", "content")
DIRECTIONS = frozenset({"ltr", "rtl"})
_DEFAULT_FALLBACK: tuple[str, ...] = ("en", "de")

# CLDR digit sets by numbering system; Babel formats symbols per system but always writes Latin
# digits.
DIGITS: Mapping[str, str] = {
    "latn": "0123456789",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
}
_FROM_LATIN = {
    system: str.maketrans(DIGITS["latn"], digits)
    for system, digits in DIGITS.items()
    if system != "latn"
}


class UnknownLanguage(ValueError):
    """A language code neither in languages.yml nor in CLDR."""


@dataclass(frozen=True)
class Language:
    code: str
    babel_locale: str
    native_name: str
    english_name: str
    direction: str
    numbering_system: str
    plural_forms: str
    parent: str | None
    complete: tuple[str, ...]
    serves: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Registry:
    """languages.yml, read: languages in the file's order, aliases, default and fallback
    languages."""

    languages: Mapping[str, Language]
    aliases: Mapping[str, str]
    default: str
    fallback: tuple[str, ...]
    served: Mapping[str, tuple[str, ...]]  # part -> codes, in the file's order

    def served_by(self, part: str) -> tuple[str, ...]:
        if part not in self.served:
            raise ValueError(f"unknown part {part!r}; languages.yml knows {', '.join(PARTS)}")
        return self.served[part]

    def normalize(self, code: object, part: str | None = None) -> str | None:
        """The language code for a tag like `fa-AF`, `AR_sy`, `prs`, `fa-IR`; None when `part`
        does not serve it."""
        if code is None:
            return None
        parts = re.split(r"[-_]", str(code).strip())
        if not parts or not parts[0].isalpha():
            return None
        enabled = self.served_by(part) if part is not None else tuple(self.languages)
        lang = parts[0].lower()
        region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
        for candidate in ([f"{lang}_{region}"] if region else []) + [lang]:
            candidate = self.aliases.get(candidate, candidate)
            if candidate in enabled:
                return candidate
        return None

    def fallback_chain(self, code: object, part: str | None = None) -> list[str]:
        """Languages tried in order: the language, its parent(s), then the fallbacks (en, de); no
        repeats."""
        chain: list[str] = []
        norm = self.normalize(code, part)
        while norm is not None and norm not in chain:
            chain.append(norm)
            parent = self.languages[norm].parent
            norm = parent if parent in self.languages else None
        for fallback in self.fallback:
            if fallback not in chain:
                chain.append(fallback)
        return chain


def _canonical(code: str) -> str:
    """`fa-ir` -> `fa_IR`: how alias keys are matched (language lower case, region upper case)."""
    lang, _, rest = str(code).strip().replace("-", "_").partition("_")
    return f"{lang.lower()}_{rest.upper()}" if rest else lang.lower()


def _make_language(code: str, spec: Mapping[str, Any]) -> Language:
    loc = Locale.parse(spec.get("babel", code))
    direction = spec.get("direction") or loc.text_direction
    if direction not in DIRECTIONS:
        raise ValueError(f"languages.yml: {code} has direction {direction!r}, not ltr or rtl")
    serves = tuple(spec.get("serves") or PARTS)
    unknown = [part for part in serves if part not in PARTS]
    if unknown:
        raise ValueError(
            f"languages.yml: {code} serves unknown parts {unknown}; known: {', '.join(PARTS)}"
        )
    if "plural_forms" not in spec:
        raise ValueError(f"languages.yml: {code} has no plural_forms")
    return Language(
        code=code,
        babel_locale=str(loc),
        native_name=spec.get("native_name") or loc.get_display_name(loc) or code,
        english_name=spec.get("english_name") or loc.get_display_name("en") or code,
        direction=direction,
        numbering_system=spec.get("numbering") or loc.default_numbering_system,
        plural_forms=spec["plural_forms"],
        parent=spec.get("parent"),
        complete=tuple(spec.get("complete") or ()),
        serves=serves,
    )


@lru_cache(maxsize=8)
def load(locales_dir: Path = LOCALES_DIR) -> Registry:
    """languages.yml of a locales directory, read once (reload() forgets it)."""
    cfg = read_yaml(Path(locales_dir) / LANGUAGES_FILE) or {}
    languages = {
        str(code): _make_language(str(code), spec or {})
        for code, spec in (cfg.get("languages") or {}).items()
    }
    aliases = {
        _canonical(alias): str(target) for alias, target in (cfg.get("aliases") or {}).items()
    }
    default = str(cfg.get("default") or next(iter(languages), "de"))
    fallback = tuple(str(code) for code in (cfg.get("fallback") or _DEFAULT_FALLBACK))
    served = {
        part: tuple(code for code, language in languages.items() if part in language.serves)
        for part in PARTS
    }
    return Registry(
        languages=languages, aliases=aliases, default=default, fallback=fallback, served=served
    )


def registry(locales_dir: Path | None = None) -> Registry:
    if locales_dir is None:
        return load(LOCALES_DIR)
    return load(locales_dir if isinstance(locales_dir, Path) else Path(locales_dir))


def reload() -> None:
    """Forget what was read from languages.yml (after editing it, or in tests)."""
    load.cache_clear()


# --- the registry --------------------------------------------------------------------------------


def served_by(part: str, *, locales_dir: Path | None = None) -> tuple[str, ...]:
    """The codes of the languages a part (kiosk, bot, content) offers, in the order of
    languages.yml."""
    return registry(locales_dir).served_by(part)


def default_language(*, locales_dir: Path | None = None) -> str:
    return registry(locales_dir).default


def normalize(
    code: object, part: str | None = None, *, locales_dir: Path | None = None
) -> str | None:
    """The code in languages.yml for `fa-AF`, `FA_af`, `prs`, `fa-IR`, `de-AT`; None when unknown
    or not served by `part`. Case and `-`/`_` do not matter; a region Lotse does not offer falls
    back to the language."""
    return registry(locales_dir).normalize(code, part)


def get_language(
    code: object, part: str | None = None, *, locales_dir: Path | None = None
) -> Language:
    """A language of languages.yml by any of its spellings; UnknownLanguage if `part` does not
    serve it."""
    reg = registry(locales_dir)
    norm = reg.normalize(code, part)
    if norm is None:
        raise UnknownLanguage(str(code))
    return reg.languages[norm]


def fallback_chain(
    code: object, part: str | None = None, *, locales_dir: Path | None = None
) -> list[str]:
    """Languages to look a text up in: the language, its parent (fa_AF -> fa), then en, de."""
    return registry(locales_dir).fallback_chain(code, part)


def cldr_locale(code: object, *, locales_dir: Path | None = None) -> Locale:
    """A language's formatting locale from languages.yml, else any CLDR locale (e.g. `ckb`)."""
    reg = registry(locales_dir)
    norm = reg.normalize(code)
    if norm is not None:
        return Locale.parse(reg.languages[norm].babel_locale)
    try:
        return Locale.parse(str(code).strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError) as exc:
        raise UnknownLanguage(str(code)) from exc


def _known(code: object, locales_dir: Path | None) -> Language | None:
    reg = registry(locales_dir)
    norm = reg.normalize(code)
    return reg.languages[norm] if norm is not None else None


def babel_locale(code: object, *, locales_dir: Path | None = None) -> str:
    """The CLDR locale to format dates and numbers with (`fa_AF`, `ku`)."""
    language = _known(code, locales_dir)
    return language.babel_locale if language else str(cldr_locale(code, locales_dir=locales_dir))


def direction(code: object, *, locales_dir: Path | None = None) -> str:
    """`rtl` or `ltr`: languages.yml's choice, else CLDR's (rtl for ar, fa, fa_AF, ps, ckb)."""
    language = _known(code, locales_dir)
    return (
        language.direction
        if language
        else cldr_locale(code, locales_dir=locales_dir).text_direction
    )


def numbering(code: object, *, locales_dir: Path | None = None) -> str:
    """The digits the client reads: languages.yml's `numbering`, else CLDR's default numbering
    system of the locale (Persian and Pashto: arabext; de: latn)."""
    language = _known(code, locales_dir)
    if language:
        return language.numbering_system
    return cldr_locale(code, locales_dir=locales_dir).default_numbering_system


def native_name(code: object, *, locales_dir: Path | None = None) -> str:
    """The language's name in itself (العربية, فارسی, دری, Türkçe, ትግርኛ), as CLDR or
    languages.yml writes it."""
    language = _known(code, locales_dir)
    if language:
        return language.native_name
    loc = cldr_locale(code, locales_dir=locales_dir)
    return loc.get_display_name(loc) or str(code)


def english_name(code: object, *, locales_dir: Path | None = None) -> str:
    """The language's English name (Arabic, Dari, Kurdish (Kurmanji))."""
    language = _known(code, locales_dir)
    if language:
        return language.english_name
    return cldr_locale(code, locales_dir=locales_dir).get_display_name("en") or str(code)


# --- digits --------------------------------------------------------------------------------------


def to_numbering_system(text: str, system: str) -> str:
    """Latin digits written in a CLDR numbering system's digits (Babel writes Latin digits only);
    systems without a digit set here (latn, unknown ones) leave the text as it is."""
    table = _FROM_LATIN.get(system)
    return text.translate(table) if table else text


def localize_digits(text: str, code: object, *, locales_dir: Path | None = None) -> str:
    """Latin digits in the digits a language's readers expect: "24.11." -> "٢٤.١١." (ar),
    "۲۴.۱۱." (fa). Codes unknown to languages.yml and CLDR keep Latin digits."""
    try:
        system = numbering(code, locales_dir=locales_dir)
    except UnknownLanguage:
        return text
    return to_numbering_system(text, system)


def to_latin_digits(text: str) -> str:
    """Any Unicode decimal digits (Arabic-Indic ٣, Persian ۳, fullwidth ３ ...) as ASCII digits."""
    if text.isascii():
        return text
    out = []
    for char in text:
        value = unicodedata.decimal(char, None) if not char.isascii() else None
        out.append(str(value) if value is not None else char)
    return "".join(out)
