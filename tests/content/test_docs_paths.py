"""The docs name only what exists: backticked repository paths and relative links resolve inside it.

A backticked span counts as a path when it has a `/`, no spaces and no `=`, and is not a URL or a
route (`/api/v1/…`). Paths resolve against the document's folder (bot/README.md says `scripts/…`),
else the repository root. Placeholders (`content/topics/<topic>/<lang>.yml`) are checked up to the
first placeholder part.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Made by `make` and `make run`, git-ignored: named in the docs, absent from a fresh clone.
GENERATED = (
    "var",
    "bot/models",
    "bot/.rasa",
    ".venv",
    ".venv-bot",
    "screenshots",
    "kiosk_api/web/static/vendor",
    "kiosk_api/web/node_modules",
)
PLACEHOLDER = re.compile(r"[<>{}*…$]|\.\.\.")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def documents(root: Path = ROOT) -> list[Path]:
    """docs/*.md and the README.md of the repository and of its top-level folders."""
    found = [root / "README.md", *root.glob("*/README.md"), *(root / "docs").glob("*.md")]
    return sorted(
        path
        for path in found
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def path_spans(markdown: str) -> Iterator[str]:
    """Backticked spans that name a file or folder (fenced code blocks are examples, not names)."""
    for span in CODE_SPAN.findall(FENCE.sub("", markdown)):
        span = span.strip().rstrip(".,;:")
        if (
            "/" in span
            and not re.search(r"\s|=|://", span)
            and not span.startswith("/")
            and not EXTERNAL.match(span)
        ):
            yield span


def link_targets(markdown: str) -> Iterator[str]:
    """Targets of relative markdown links, without their #anchor."""
    for target in LINK.findall(FENCE.sub("", markdown)):
        target = target.split("#", 1)[0]
        if target and not EXTERNAL.match(target):
            yield target


def _checked_part(span: str) -> str:
    """The span up to its first placeholder: `content/topics/<topic>/x.yml` -> `content/topics`."""
    parts = span.rstrip("/").split("/")
    kept: list[str] = []
    for part in parts:
        if PLACEHOLDER.search(part):
            break
        kept.append(part)
    return "/".join(kept)


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _generated(path: Path, root: Path) -> bool:
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    return any(relative == prefix or relative.startswith(prefix + "/") for prefix in GENERATED)


def broken_paths(document: Path, root: Path = ROOT) -> list[str]:
    """Backticked paths of a document that point outside the repository or at nothing."""
    problems = []
    for span in path_spans(document.read_text(encoding="utf-8")):
        checked = _checked_part(span)
        if not checked:
            continue
        candidates = [document.parent / checked, root / checked]
        if any(not _inside(candidate, root) for candidate in candidates[:1]):
            problems.append(f"`{span}` points outside the repository")
        elif not any(candidate.exists() or _generated(candidate, root) for candidate in candidates):
            problems.append(f"`{span}` does not exist")
    return problems


def broken_links(document: Path, root: Path = ROOT) -> list[str]:
    """Relative links that leave the repository or point at nothing (as a renderer resolves)."""
    problems = []
    for target in link_targets(document.read_text(encoding="utf-8")):
        resolved = document.parent / target
        if not _inside(resolved, root):
            problems.append(f"({target}) points outside the repository")
        elif not resolved.exists():
            problems.append(f"({target}) does not exist")
    return problems


def test_the_documents_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in documents()}
    assert {
        "README.md",
        "bot/README.md",
        "content/README.md",
        "docs/architecture.md",
        "docs/developing.md",
    } <= names


@pytest.mark.parametrize(
    "document", documents(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_backticked_paths_exist_in_the_repository(document: Path) -> None:
    assert broken_paths(document) == []


@pytest.mark.parametrize(
    "document", documents(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_relative_links_resolve_inside_the_repository(document: Path) -> None:
    assert broken_links(document) == []


def test_the_check_finds_missing_outside_and_placeholder_paths(tmp_path: Path) -> None:
    (tmp_path / "bot" / "data" / "rules").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "sites").mkdir()
    (tmp_path / "docs" / "style.md").write_text("x")
    document = tmp_path / "docs" / "a.md"
    document.write_text(
        "`bot/data/rules/` `bot/data/stories/<flow>.yml` `../../outside.md` `var/lotse.db`\n"
        "`/api/v1/slots` `https://example.org/a` `GET /content/{topic}` `sites/<site>/`\n"
        "`X_URL=postgresql://u@h/db`\n"
        "```\n`bot/in/a/fence.yml`\n```\n"
        "[style](style.md) [gone](gone.md#part) [out](../../shared/STYLE.md)\n"
        "[web](https://example.org/x) [here](#layout)\n"
    )
    assert broken_paths(document, tmp_path) == [
        "`bot/data/stories/<flow>.yml` does not exist",
        "`../../outside.md` points outside the repository",
    ]
    assert broken_links(document, tmp_path) == [
        "(gone.md) does not exist",
        "(../../shared/STYLE.md) points outside the repository",
    ]
