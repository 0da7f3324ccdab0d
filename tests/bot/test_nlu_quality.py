"""How well the assistant understands: its own held-out examples, and questions written apart from
them.

Held-out split (bot/scripts/evaluate_nlu.py): about one example in five of every intent per
language, one multilingual model trained on the rest; it catches a broken training set. Since 56
intents share neighbouring topics (benefit cuts and duties, moving and rent, out of scope) it reads
0.86-0.91; the floor is 0.85. Real questions (bot/scripts/evaluate_real.py,
tests/bot/real_questions): what clients get; every language of every set must meet the issue's
targets (top-1 0.90, top-3 0.97, fallback 0.05), so what was reached cannot slip back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.scripts.evaluate_real import SETS

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"de", "en", "ar", "fa", "fr", "tr", "ku", "ti", "ps", "uk", "ru", "so"}
TARGET = 0.85
# Reached (6 Dec 2026, bot/README.md): top-1 0.93-1.00, top-3 0.98-1.00 per language on every set;
# overall 0.97-0.99 / 0.99-1.00.
REAL_TOP1_FLOOR, REAL_TOP3_FLOOR = 0.90, 0.97
REAL_OVERALL_TOP1, REAL_OVERALL_TOP3 = 0.95, 0.99


@pytest.fixture(scope="module")
def figures() -> dict[str, dict]:
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        RASA_CACHE_DIRECTORY=str(ROOT / "bot" / ".rasa" / "cache"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.scripts.evaluate_nlu"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((ROOT / "bot" / "models" / "holdout" / "report.json").read_text())
    print(result.stdout)
    return report["multilingual"]["languages"]


def test_every_served_language_reaches_the_target_macro_f1(figures):
    assert LANGUAGES <= set(figures)
    below = {language: f["macro_f1"] for language, f in figures.items() if f["macro_f1"] < TARGET}
    assert below == {}


@pytest.mark.parametrize("question_set", SETS)
def test_real_questions_stay_understood(question_set):
    import asyncio

    from bot.scripts.evaluate_real import MODEL, evaluate

    report = asyncio.run(evaluate(MODEL, question_set))
    assert LANGUAGES <= set(report)
    for language, row in report.items():
        assert row["top1"] >= REAL_TOP1_FLOOR and row["top3"] >= REAL_TOP3_FLOOR, (
            language,
            row["top1"],
            row["top3"],
        )
        assert row["fallback"] <= 0.05, language
    total = sum(row["in_scope"] for row in report.values())
    assert (
        sum(row["top1"] * row["in_scope"] for row in report.values()) / total >= REAL_OVERALL_TOP1
    )
    assert (
        sum(row["top3"] * row["in_scope"] for row in report.values()) / total >= REAL_OVERALL_TOP3
    )
