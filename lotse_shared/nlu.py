"""The assistant's hand-written example questions (bot/data/nlu/<lang>/*.yml), as plain (intent,
text) rows."""

from __future__ import annotations

import re
from pathlib import Path

from lotse_shared.files import read_yaml

NLU_DIR = Path(__file__).resolve().parent.parent / "bot" / "data" / "nlu"
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]+\)|\[([^\]]+)\]\{[^}]+\}")


def plain(example: str) -> str:
    """The example as the client would type it (entity annotations removed)."""
    return _ENTITY.sub(lambda m: m.group(1) or m.group(2), example).strip()


def examples_by_language(nlu_dir: Path = NLU_DIR) -> dict[str, list[tuple[str, str]]]:
    """language -> [(intent, text)], from each language's own folder."""
    result: dict[str, list[tuple[str, str]]] = {}
    for folder in sorted(p for p in nlu_dir.iterdir() if p.is_dir()):
        rows: list[tuple[str, str]] = []
        for path in sorted(folder.glob("*.yml")):
            data = read_yaml(path) or {}
            for block in data.get("nlu") or []:
                if "intent" not in block:
                    continue
                for line in str(block.get("examples") or "").splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        rows.append((block["intent"], line[2:].strip()))
        result[folder.name] = rows
    return result
