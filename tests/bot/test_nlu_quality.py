"""Intent macro-F1 per language on a held-out split (bot/scripts/evaluate_nlu.py): the issue's 0.90 target.

About one example in five of every intent is held out per language; one multilingual model is trained on
the rest. Figures per language are printed and written to bot/models/holdout/report.json.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = {"de", "en", "ar", "fa", "fr", "tr", "ku", "ti", "ps", "uk", "ru", "so"}
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


def test_every_served_language_reaches_the_target_macro_f1(figures):
    assert LANGUAGES <= set(figures)
    below = {language: f["macro_f1"] for language, f in figures.items() if f["macro_f1"] < TARGET}
    assert below == {}
