"""Reads the hand-written NLU examples per language (bot/data/nlu/<lang>/*.yml)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

NLU_DIR = Path(__file__).resolve().parent / "data" / "nlu"
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]+\)|\[([^\]]+)\]\{[^}]+\}")


def plain(example: str) -> str:
    """The example as the client would type it (entity annotations removed)."""
    return _ENTITY.sub(lambda m: m.group(1) or m.group(2), example).strip()


def examples_by_language() -> dict[str, list[tuple[str, str]]]:
    """language -> [(intent, text)], from each language's own folder."""
    result: dict[str, list[tuple[str, str]]] = {}
    for folder in sorted(p for p in NLU_DIR.iterdir() if p.is_dir()):
        rows: list[tuple[str, str]] = []
        for path in sorted(folder.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for block in data.get("nlu") or []:
                if "intent" not in block:
                    continue
                for line in str(block.get("examples") or "").splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        rows.append((block["intent"], line[2:].strip()))
        result[folder.name] = rows
    return result
