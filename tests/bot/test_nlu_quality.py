"""Intent macro-F1 per language on a held-out split (bot/scripts/evaluate_nlu.py).

Measured on 24 Nov 2026: 0.39-0.63 per language (see bot/README.md); the data has 6-9 hand-written
examples per intent, too few to generalise to unseen paraphrases. The floor below catches
regressions; the 0.90 target is an expected failure until native speakers add examples.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"de", "en", "ar", "fa", "fr", "tr", "ku", "ti", "ps", "uk", "ru"}
FLOOR = 0.35
TARGET = 0.90


@pytest.fixture(scope="module")
def figures() -> dict[str, dict]:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", RASA_CACHE_DIRECTORY=str(ROOT / "bot" / ".rasa" / "cache"))
    result = subprocess.run([sys.executable, "-m", "bot.scripts.evaluate_nlu"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((ROOT / "bot" / "models" / "holdout" / "report.json").read_text())
    print(result.stdout)
    return report["multilingual"]["languages"]


def test_every_language_is_evaluated_above_the_floor(figures):
    assert LANGUAGES <= set(figures)
    low = {lang: f["macro_f1"] for lang, f in figures.items() if f["macro_f1"] < FLOOR}
    assert low == {}


@pytest.mark.xfail(strict=True, reason="6-9 examples per intent are too few; needs more hand-written data")
def test_target_macro_f1_per_language(figures):
    assert all(f["macro_f1"] >= TARGET for f in figures.values())
