"""How clients write, made comparable: letter variants unified, and office and benefit words mapped
to one German key.

Used before intent classification (bot) and topic search (kiosk API), so both see "جابسنتر",
"jobsenter" and "Jobcenter" alike, and "Hartz IV", "ALG 2" and "پول بیکاری" as the benefit's
current name."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lotse_shared.files import read_yaml

TERMS_DIR = Path(__file__).resolve().parent.parent / "content" / "terms"

# Arabic-script letters clients interchange (keyboard, dialect, habit): one form each.
_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ـ": None,  # tatweel
        "\u200c": None,
        "\u200d": None,
        "\u200e": None,
        "\u200f": None,
        "\ufeff": None,  # zero-width joiners and marks
        "ё": "е",
    }
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PUNCTUATION = re.compile(r"[^\w\s§]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Dots and small marks removed, letters that differ only by them fold into one: "حابسنتز" ~
# "جابسنتر".
_RASM = str.maketrans(
    {
        "ب": "ٮ",
        "ت": "ٮ",
        "ث": "ٮ",
        "ن": "ٮ",
        "ی": "ٮ",
        "پ": "ٮ",
        "ج": "ح",
        "خ": "ح",
        "چ": "ح",
        "ذ": "د",
        "ز": "ر",
        "ژ": "ر",
        "ش": "س",
        "ض": "ص",
        "ظ": "ط",
        "غ": "ع",
        "ف": "ٯ",
        "ق": "ٯ",
        "گ": "ک",
    }
)
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F0-9]*")
# Variants shorter than this are matched only as written: fuzzy matching of short words finds too
# much.
FUZZY_MIN_LETTERS = 6
ARABIC_FUZZY_MIN_LETTERS = 9


def without_marks(text: str) -> str:
    """Combining marks (harakat, accents typed separately) left out; precomposed letters (é, ü)
    stay."""
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case, NFKC, one form per Arabic-script letter, no diacritics or zero-width marks,
    Latin digits, punctuation as spaces."""
    text = (
        unicodedata.normalize("NFKC", text or "").casefold().translate(_LETTERS).translate(_DIGITS)
    )
    text = without_marks(text)
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


def rasm(word: str) -> str:
    return word.translate(_RASM)


@dataclass(frozen=True)
class Vocabulary:
    """Every language's words for the offices and benefits, the greetings clients put before a
    question and the thanks and pleas they put after it."""

    phrases: dict[tuple[str, ...], str]  # folded words -> German key
    fuzzy: dict[
        str, str
    ]  # a one-word variant's letter skeleton, or its forms one letter off -> German key
    greetings: frozenset[tuple[str, ...]]
    closings: frozenset[tuple[str, ...]]
    longest: int
    keys: frozenset[str]
    longest_word: int = 0  # letters in the longest one-word variant
    longest_greeting: int = 0  # words in the longest greeting
    longest_closing: int = 0  # words in the longest closing

    def canonical(self, text: str) -> str:
        """`text` folded, with every known variant replaced by its German key."""
        words = fold(text).split()
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 0, -1):
                key = self.phrases.get(tuple(words[i : i + size]))
                if key is not None:
                    out.append(key)
                    i += size
                    break
            else:
                out.append(self._fuzzy(words[i]))
                i += 1
        return " ".join(out)

    def _fuzzy(self, word: str) -> str:
        """The key of a variant this word misspells: in Arabic script dots misplaced, and in words
        of 9+ letters one letter missing or too many; in other scripts one letter missing, one too
        many or one replaced."""
        if not FUZZY_MIN_LETTERS <= len(word) <= self.longest_word + 1:
            # longer than any variant by two or more: no match, and no quadratic work on a huge word
            return word
        # Arabic script is compared by its letter skeleton ("حابسنتز" ~ "جابسنتر"), one letter off
        # only in long words: a skeleton one letter off a short variant is often an everyday word.
        arabic = bool(_ARABIC_SCRIPT.search(word))
        form = rasm(word) if arabic else word
        found = self.fuzzy.get("variant:" + form)
        if found is not None or (arabic and len(word) < ARABIC_FUZZY_MIN_LETTERS):
            return found or word
        found = self.fuzzy.get("missing:" + form)
        for i in range(len(form)):
            if found is not None:
                break
            shorter = form[:i] + form[i + 1 :]
            found = self.fuzzy.get("variant:" + shorter)
            if found is None and not arabic:  # a skeleton letter replaced: another word
                found = self.fuzzy.get(f"replaced:{i}:{shorter}")
        return found or word

    def without_office_words(self, text: str) -> str:
        """`text` as written, minus the German office and benefit words in Latin letters ("Termin",
        "jobcentr"):
        they say nothing about the language the client writes in."""
        tokens = list(_LATIN_WORD.finditer(text))
        drop: list[tuple[int, int]] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self.longest, len(tokens) - i), 0, -1):
                words = tuple(fold(m.group(0)) for m in tokens[i : i + size])
                if words in self.phrases or (size == 1 and self._fuzzy(words[0]) in self.keys):
                    drop.append((tokens[i].start(), tokens[i + size - 1].end()))
                    i += size
                    break
            else:
                i += 1
        for start, end in reversed(drop):
            text = text[:start] + " " + text[end:]
        return _SPACES.sub(" ", text).strip()

    def without_greeting(self, text: str) -> str | None:
        """What follows a leading greeting, when at least two words follow; else None."""
        words = fold(text).split()
        start = 0
        while True:
            for size in range(min(self.longest_greeting, len(words) - start - 2), 0, -1):
                if tuple(words[start : start + size]) in self.greetings:
                    start += size
                    break
            else:
                break
        return " ".join(words[start:]) if start and len(words) - start >= 2 else None

    def without_closing(self, text: str) -> str | None:
        """What comes before closing thanks or pleas ("… ? Thanks in advance", "… please help"),
        when at least two words do; else None."""
        words = fold(text).split()
        end = len(words)
        while True:
            for size in range(min(self.longest_closing, end - 2), 0, -1):
                if tuple(words[end - size : end]) in self.closings:
                    end -= size
                    break
            else:
                break
        return " ".join(words[:end]) if end < len(words) else None


def load_vocabulary(terms_dir: Path = TERMS_DIR) -> Vocabulary:
    phrases: dict[tuple[str, ...], str] = {}
    fuzzy: dict[str, str] = {}
    off_by_one: dict[str, set[str]] = {}  # a form one letter off a variant -> the keys it is off
    greetings: set[tuple[str, ...]] = set()
    closings: set[tuple[str, ...]] = set()
    for path in sorted(terms_dir.glob("*.yml")):
        data = read_yaml(path) or {}
        for key, variants in (data.get("terms") or {}).items():
            for variant in [key, *(variants or [])]:
                words = tuple(fold(str(variant)).split())
                if not words:
                    continue
                phrases.setdefault(words, key)
                joined = "".join(words)
                if len(joined) >= FUZZY_MIN_LETTERS:
                    phrases.setdefault((joined,), key)  # "job center" also typed as one word
                    if any(ch.isdigit() for ch in joined):
                        # "arbeitslosengeld 2" must not make plain "Arbeitslosengeld" the same
                        # benefit
                        continue
                    arabic = bool(_ARABIC_SCRIPT.search(joined))
                    form = rasm(joined) if arabic else joined
                    fuzzy.setdefault("variant:" + form, key)
                    for i in range(len(form)):
                        shorter = form[:i] + form[i + 1 :]
                        off_by_one.setdefault("missing:" + shorter, set()).add(key)  # "jobcentr"
                        if not arabic:
                            off_by_one.setdefault(f"replaced:{i}:{shorter}", set()).add(key)
        for greeting in data.get("greetings") or []:
            words = tuple(fold(str(greeting)).split())
            if words:
                greetings.add(words)
        for closing in data.get("closings") or []:
            words = tuple(fold(str(closing)).split())
            if words:
                closings.add(words)
    # A form one letter off the variants of two keys ("کرانکنکات": Krankenkasse or
    # Gesundheitskarte) counts for neither.
    fuzzy.update({form: keys.pop() for form, keys in off_by_one.items() if len(keys) == 1})
    longest = max((len(words) for words in phrases), default=1)
    longest_word = max((len(words[0]) for words in phrases if len(words) == 1), default=0)
    return Vocabulary(
        phrases=phrases,
        fuzzy=fuzzy,
        greetings=frozenset(greetings),
        closings=frozenset(closings),
        longest=longest,
        keys=frozenset(phrases.values()),
        longest_word=longest_word,
        longest_greeting=max((len(words) for words in greetings), default=0),
        longest_closing=max((len(words) for words in closings), default=0),
    )


@lru_cache(maxsize=4)
def vocabulary(terms_dir: Path = TERMS_DIR) -> Vocabulary:
    return load_vocabulary(terms_dir)


def normalize(text: str, terms_dir: Path = TERMS_DIR) -> str:
    """The form the classifier and the search compare: folded, with office and benefit words as
    German keys."""
    return vocabulary(terms_dir).canonical(text)


def fingerprint(terms_dir: Path = TERMS_DIR) -> str:
    """Changes whenever the vocabulary files or this normaliser change (a model trained on them
    is then stale)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(terms_dir.glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
