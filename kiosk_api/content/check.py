"""`python -m kiosk_api.content.check`: fail when any content file is invalid, missing, unsourced
or too old."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from kiosk_api import i18n
from kiosk_api.content.local import check_local, load_local
from kiosk_api.content.service import check_store, content_warnings, load_store

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "content"
DEFAULT_SITES = DEFAULT_ROOT.parent / "sites"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk_api.content.check", description=__doc__)
    parser.add_argument("--content", type=Path, default=DEFAULT_ROOT, help="content directory")
    parser.add_argument(
        "--locales", type=Path, default=None, help="locales directory (languages.yml)"
    )
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=dt.date.today(),
        help="check as of this date (only warnings depend on it)",
    )
    parser.add_argument("--sites", type=Path, default=DEFAULT_SITES, help="sites directory")
    parser.add_argument("--topic", action="append", default=[], help="report only on these topics")
    args = parser.parse_args(argv)
    store = load_store(args.content.resolve())
    languages = i18n.language_codes(args.locales.resolve() if args.locales else None)
    problems = check_store(store, today=args.today, languages=languages)
    local = load_local(args.sites.resolve())
    problems += check_local(local, topics=store.config.topics, today=args.today)
    warnings = content_warnings(store, today=args.today)
    if args.topic:
        problems = [
            p
            for p in problems
            if any(f"topics/{t}/" in p or p.startswith(f"topics/{t}:") for t in args.topic)
        ]
        warnings = [w for w in warnings if any(f"topics/{t}/" in w for t in args.topic)]
    for warning in warnings:
        print(f"WARNING {warning}")
    for problem in problems:
        print(f"ERROR {problem}")
    files = sum(len(v) for v in store.items.values())
    unreviewed = sum(
        1 for v in store.items.values() for item in v.values() if item.reviewed is None
    )
    local_files = sum(len(t) for s in local.by_site.values() for t in s.values())
    print(
        f"content check: {len(store.config.topics)} topics x {len(languages)} languages, {files} "
        f"files loaded, {unreviewed} not reviewed by a person; {local_files} site files; "
        f"{len(problems)} problems, "
        f"{len(warnings)} due for a re-check"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
