"""Key facts of a topic rendered into its texts: `{fact_id}` becomes the value in the reader's
locale (Babel/CLDR).

Amounts, dates and deadlines live once in facts.yml, so the languages cannot drift apart; the
check finds any number a text states outside of them."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal

from babel import numbers as babel_numbers
from babel import units as babel_units

from kiosk_api import i18n
from kiosk_api.content.schemas import Fact

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# Legal citations keep their Latin digits in every language (a client matches them on a letter).
CITATION = re.compile(
    r"(?:§§?|Art\.)\s*(\d+[a-z]?)(?:\s*(?:ff\.|f\.|,|bis|–|-|und|and)\s*\d*[a-z]?)*"
    r"(?:\s*(?:Abs\.|Absatz|Satz|S\.|Nr\.|Buchst\.)\s*\d+[a-z]?)*"
)
# Language levels (A1 … C2) are names, not amounts.
LANGUAGE_LEVEL = re.compile(r"\b[ABC][12]\b")
_UNIT = {
    "days": "duration-day",
    "weeks": "duration-week",
    "months": "duration-month",
    "years": "duration-year",
    "hours": "duration-hour",
}


def _whole_euros(amount: Decimal, locale: str) -> str:
    """563 € rather than 563,00 €: the locale's currency pattern without its fraction digits."""
    loc, system = i18n._formatting(locale)
    pattern = loc.currency_formats["standard"].pattern.split(";")[0].replace("0.00", "0")
    text = babel_numbers.format_currency(
        amount,
        "EUR",
        format=pattern,
        locale=loc,
        currency_digits=False,
        numbering_system=i18n._number_system_for_symbols(loc, system),
    )
    return i18n.localize_digits(text, system)


def render_value(fact: Fact, locale: str) -> str:
    """The fact's value as a reader of `locale` writes it (digits, separators, plural of the
    unit)."""
    if fact.kind == "rule" or fact.value is None:
        raise ValueError(f"fact {fact.id} is a rule: it has no value to show")
    if fact.kind == "date":
        assert isinstance(fact.value, dt.date)
        return i18n.format_date(fact.value, locale, "long")
    value = Decimal(str(fact.value))
    if fact.kind == "money":
        return (
            _whole_euros(value, locale)
            if value == value.to_integral_value()
            else i18n.format_currency(value, locale)
        )
    loc, system = i18n._formatting(locale)
    if fact.kind == "percent":
        text = babel_numbers.format_percent(
            value / 100,
            locale=loc,
            decimal_quantization=False,  # 2.3 %, not 2 %
            numbering_system=i18n._number_system_for_symbols(loc, system),
        )
        return i18n.localize_digits(text, system)
    if fact.kind == "number":
        return i18n.format_number(value, locale)
    text = babel_units.format_unit(value, _UNIT[fact.kind], length="long", locale=loc)
    # CLDR's Tigrinya months read "3/ኣዋርሕ" (a slash for a space); a number is never followed by a
    # slash in prose.
    text = re.sub(r"(\d)/(?=\w)", r"\1 ", text)
    return i18n.localize_digits(text, system)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render_text(text: str, facts: Mapping[str, Fact], locale: str) -> str:
    """`text` with every {fact_id} replaced by its value; an unknown id stays visible (the check
    refuses it)."""
    return PLACEHOLDER.sub(
        lambda m: render_value(facts[m.group(1)], locale) if m.group(1) in facts else m.group(0),
        text,
    )


def cited_sections(facts: Iterable[Fact], source_titles: Iterable[str]) -> set[str]:
    """Paragraph and article numbers the topic's sources name (§ 22, Art. 6): texts may cite
    those."""
    cited: set[str] = set()
    for words in (
        [f.source.pinpoint for f in facts] + [f.source.title for f in facts] + list(source_titles)
    ):
        for match in re.finditer(
            r"(?:§§?|Art\.)\s*(\d+[a-z]?)((?:\s*(?:,|bis|–|-|und|ff\.)\s*\d+[a-z]?)*)", words
        ):
            cited.add(match.group(1))
            cited.update(re.findall(r"\d+[a-z]?", match.group(2)))
    return cited


def stray_numbers(text: str, cited: set[str]) -> list[str]:
    """Numbers the text states itself instead of through a fact placeholder (a citation of a
    cited § is fine)."""
    problems = []
    rest = PLACEHOLDER.sub(" ", text)

    def citation(match: re.Match[str]) -> str:
        if match.group(1) not in cited:
            problems.append(
                f"cites {match.group(0).strip()!r}, which no fact or source of the topic names"
            )
        return " "

    rest = LANGUAGE_LEVEL.sub(" ", CITATION.sub(citation, rest))
    for match in re.finditer(r"\S*\d\S*", rest):
        if any(unicodedata.category(ch) == "Nd" for ch in match.group(0)):
            problems.append(f"states the number {match.group(0)!r} without a fact placeholder")
    return problems
