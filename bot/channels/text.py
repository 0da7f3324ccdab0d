"""Text handling every messenger channel shares: what a non-text message becomes, and long answers
split at a platform's limit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# What a channel hands Rasa for a voice note, picture, file, sticker or location: nothing of it is
# stored, and the bot answers in the client's language (utter_media_not_supported).
MEDIA_NOT_SUPPORTED = "/media_not_supported"

# After a sentence's end (Latin, Arabic, Ethiopic, Urdu marks) or at a line break, which is kept.
_SENTENCE_END = re.compile(r"((?<=[.!?؟።۔…])[ \t]+|[ \t]*\n+[ \t]*)")


def split_message(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """`text` in parts of at most `limit` (as `size` measures), broken after sentences where
    possible, else between words, else inside a word; line breaks inside a part are kept and no
    part is empty."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return pack(_pieces(text, limit, size), limit, size)


def pack(
    pieces: Iterable[tuple[str, str]], limit: int, size: Callable[[str], int] = len
) -> list[str]:
    """(separator before, piece) pairs, each piece within `limit`, joined into as few parts of at
    most `limit` as their order allows."""
    parts: list[str] = []
    current = ""
    for separator, piece in pieces:
        joined = f"{current}{separator}{piece}" if current else piece
        if size(joined) <= limit:
            current = joined
        else:
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, limit: int, size: Callable[[str], int]) -> list[tuple[str, str]]:
    """(separator before, piece): sentences no longer than `limit`; longer ones cut between words,
    over-long words cut."""
    pieces: list[tuple[str, str]] = []
    chunks = _SENTENCE_END.split(text.strip())
    separators = [""] + [" " if "\n" not in sep else sep.strip(" \t") for sep in chunks[1::2]]
    for separator, sentence in zip(separators, chunks[::2], strict=True):
        if not sentence:
            continue
        if size(sentence) <= limit:
            pieces.append((separator, sentence))
            continue
        for word in sentence.split():
            while size(word) > limit:
                cut = _longest_prefix(word, limit, size)
                pieces.append((separator, word[:cut]))
                separator, word = "", word[cut:]
            pieces.append((separator, word))
            separator = " "
    return pieces


def _longest_prefix(word: str, limit: int, size: Callable[[str], int]) -> int:
    cut = min(len(word), limit)
    while cut > 1 and size(word[:cut]) > limit:
        cut -= 1
    return cut
