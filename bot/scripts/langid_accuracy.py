"""Language identification accuracy on one-sentence messages: every NLU example of 3+ words.

Prints per-language accuracy and the total; `--min-words 1` includes short answers too.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from bot.lang.detect import detect, warm_up
from lotse_shared.nlu import examples_by_language, plain

# Persian data holds Farsi and Dari wording; Dari (fa_AF) is a correct answer for it.
ACCEPTED = {"fa": {"fa", "fa_AF"}}


def evaluate(
    min_words: int = 3,
) -> tuple[dict[str, tuple[int, int]], list[tuple[str, str, str | None]]]:
    per_language: dict[str, tuple[int, int]] = {}
    errors: list[tuple[str, str, str | None]] = []
    for language, rows in examples_by_language().items():
        right = total = 0
        for _, example in rows:
            text = plain(example)
            if len(text.split()) < min_words:
                continue
            found = detect(text).language
            total += 1
            if found in ACCEPTED.get(language, {language}):
                right += 1
            else:
                errors.append((language, text, found))
        per_language[language] = (right, total)
    return per_language, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-words", type=int, default=3)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    warm_up()
    started = time.perf_counter()
    per_language, errors = evaluate(args.min_words)
    elapsed = time.perf_counter() - started
    right = sum(r for r, _ in per_language.values())
    total = sum(t for _, t in per_language.values())
    for language, (r, t) in per_language.items():
        print(f"{language:6} {r:4}/{t:<4} {100 * r / max(t, 1):6.1f} %")
    print(
        f"total  {right:4}/{total:<4} {100 * right / max(total, 1):6.1f} %  "
        f"({1000 * elapsed / max(total, 1):.2f} ms per message)"
    )
    print("confusions:", dict(Counter((lang, found) for lang, _, found in errors)))
    if args.show_errors:
        for lang, text, found in errors:
            print(f"  {lang} -> {found}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
