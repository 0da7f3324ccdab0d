"""Official German terms that machine translation must not change (content/glossary.yml).

Before translation each term is replaced by a placeholder the model copies through; afterwards the
placeholder becomes the German term (into German) or the term's rendering in the client's language
with the German word in brackets, so the client can find the word on a letter.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

GERMAN = "de"
# Latin capitals and digits survive tokenisation and are copied by NMT models; no "_"
# (argostranslate turns it into a space). Matched loosely because models may insert spaces or change
# case.
_PLACEHOLDER = "ZXQ{}"
_PLACEHOLDER_PATTERN = re.compile(r"Z\s*X\s*Q\s*(\d+)", re.IGNORECASE)


class GlossaryError(ValueError):
    """content/glossary.yml does not have the expected shape."""


@dataclass(frozen=True)
class GlossaryTerm:
    german: str
    german_forms: tuple[str, ...]
    renderings: dict[str, str]
    aliases: dict[str, tuple[str, ...]]

    def rendering(self, language: str) -> str | None:
        return _by_language(self.renderings, language)

    def spellings(self, language: str) -> tuple[str, ...]:
        """How the term may appear in text of this language: the German forms always, plus
        renderings."""
        found = list(self.german_forms)
        if language != GERMAN:
            rendering = self.rendering(language)
            if rendering:
                found.append(rendering)
            found.extend(_by_language(self.aliases, language) or ())
        return tuple(found)


@dataclass
class ProtectedText:
    """Text with glossary terms replaced by placeholders, and what each placeholder becomes."""

    text: str
    replacements: list[str] = field(default_factory=list)

    def restore(self, translated: str) -> str:
        """Put the fixed terms back; any placeholder the model dropped is appended in brackets."""
        if not self.replacements:
            return translated
        used: set[int] = set()

        def _put_back(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if 0 <= index < len(self.replacements):
                used.add(index)
                return self.replacements[index]
            return match.group(0)

        restored = _PLACEHOLDER_PATTERN.sub(_put_back, translated)
        dropped = [text for index, text in enumerate(self.replacements) if index not in used]
        if dropped:
            restored = f"{restored.rstrip()} ({'; '.join(dropped)})"
        return restored


@dataclass(frozen=True)
class Glossary:
    terms: tuple[GlossaryTerm, ...]
    digest: str  # changes when the file changes, so cached translations are redone

    def protect(self, text: str, source_language: str, target_language: str) -> ProtectedText:
        """Replace glossary terms in text (written in source_language) by placeholders."""
        if not self.terms or _PLACEHOLDER_PATTERN.search(text):
            return ProtectedText(text)  # text that already looks like a placeholder is left alone
        candidates: list[tuple[int, int, str, GlossaryTerm, bool]] = []
        for term in self.terms:
            german_forms = set(term.german_forms)
            for spelling in term.spellings(source_language):
                for match in _phrase_pattern(spelling).finditer(text):
                    candidates.append(
                        (match.start(), match.end(), match.group(0), term, spelling in german_forms)
                    )
        # Longest match wins where spellings overlap ("Aufenthaltserlaubnis" inside a longer
        # phrase).
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        taken: list[tuple[int, int, str]] = []
        replacements: list[str] = []
        for start, end, surface, term, is_german in candidates:
            if any(start < t_end and t_start < end for t_start, t_end, _ in taken):
                continue
            german = surface if is_german else term.german
            taken.append((start, end, _replacement(term, german, target_language)))
        if not taken:
            return ProtectedText(text)
        pieces: list[str] = []
        cursor = 0
        for start, end, replacement in sorted(taken):
            pieces.append(text[cursor:start])
            pieces.append(_PLACEHOLDER.format(len(replacements)))
            replacements.append(replacement)
            cursor = end
        pieces.append(text[cursor:])
        return ProtectedText("".join(pieces), replacements)


def _replacement(term: GlossaryTerm, german: str, target_language: str) -> str:
    if target_language == GERMAN:
        return german
    rendering = term.rendering(target_language)
    return f"{rendering} ({german})" if rendering else german


def _by_language(values: dict[str, object], language: str):  # type: ignore[no-untyped-def]
    """Exact code first (fa_AF), then the primary language (fa)."""
    code = language.replace("-", "_")
    if code in values:
        return values[code]
    return values.get(code.split("_", 1)[0].lower())


@lru_cache(maxsize=512)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in phrase.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def parse_glossary(raw: bytes) -> Glossary:
    data = yaml.safe_load(raw) or {}
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        raise GlossaryError("glossary must be a mapping with a list 'terms'")
    terms = []
    for number, entry in enumerate(data["terms"], start=1):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("de"), str)
            or not entry["de"].strip()
        ):
            raise GlossaryError(f"term {number}: needs a German term 'de'")
        forms = entry.get("forms") or []
        renderings = entry.get("translations") or {}
        aliases = entry.get("aliases") or {}
        if not isinstance(forms, list) or not all(isinstance(f, str) and f.strip() for f in forms):
            raise GlossaryError(f"term {entry['de']}: 'forms' must be a list of words")
        if not isinstance(renderings, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in renderings.items()
        ):
            raise GlossaryError(
                f"term {entry['de']}: 'translations' must map language codes to text"
            )
        if not isinstance(aliases, dict) or not all(
            isinstance(k, str)
            and isinstance(v, list)
            and all(isinstance(a, str) and a.strip() for a in v)
            for k, v in aliases.items()
        ):
            raise GlossaryError(f"term {entry['de']}: 'aliases' must map language codes to lists")
        german = entry["de"].strip()
        terms.append(
            GlossaryTerm(
                german=german,
                german_forms=tuple(dict.fromkeys([german, *(f.strip() for f in forms)])),
                renderings={k: v.strip() for k, v in renderings.items()},
                aliases={k: tuple(a.strip() for a in v) for k, v in aliases.items()},
            )
        )
    return Glossary(tuple(terms), hashlib.sha256(raw).hexdigest()[:12])


def load_glossary(path: Path) -> Glossary:
    """The glossary at path, re-read when the file changes; an absent file means no fixed terms."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Glossary((), "none")
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load_cached(path: Path, _mtime_ns: int, _size: int) -> Glossary:
    return parse_glossary(path.read_bytes())
