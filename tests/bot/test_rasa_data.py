"""`rasa data validate` is clean and the conversation tests pass with `rasa test` on the trained
model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from servers import model_path

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(
    os.environ,
    RASA_TELEMETRY_ENABLED="false",
    RASA_CACHE_DIRECTORY=str(ROOT / "bot" / ".rasa" / "cache"),
)
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule")
# Intents no client types: the kiosk API's pushes, what bot/runtime/guard.py makes of an over-long
# message, and what a messenger channel sends for a voice note or picture (bot/channels).
EXTERNAL = re.compile(
    r"The intent '(EXTERNAL_\w+|message_too_long|media_not_supported)' is listed in the domain "
    r"file, but is not found in the NLU training data"
)


def action_source() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "bot" / "actions").rglob("*.py"))


def test_data_validate_is_clean():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.runtime.server",
            "data",
            "validate",
            "--domain",
            "bot/domain",
            "--data",
            "bot/data",
            "--config",
            "bot/config.yml",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "No story structure conflicts found" in output
    # The only warnings allowed: responses that actions (not stories) send, and forms' questions.
    source = action_source()
    for name in UNUSED.findall(output):
        # utter_default: said by Rasa's own action_default_fallback (RulePolicy's core fallback)
        assert f'"{name}"' in source or name.startswith("utter_ask_") or name == "utter_default", (
            f"{name} is used nowhere"
        )
    data_warnings = [
        line
        for line in output.splitlines()
        if "UserWarning" in line and not UNUSED.search(line) and not EXTERNAL.search(line)
    ]
    assert data_warnings == []


def test_conversation_tests_pass(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.runtime.server",
            "test",
            "core",
            "--model",
            str(model_path()),
            "--stories",
            "bot/tests/test_stories.yml",
            "--out",
            str(tmp_path),
            "--endpoints",
            "bot/endpoints.yml",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed[:3000]
    stories = yaml.safe_load(
        (ROOT / "bot" / "tests" / "test_stories.yml").read_text(encoding="utf-8")
    )["stories"]
    languages = {s["story"].rsplit("(", 1)[1].rstrip(")") for s in stories}
    assert {"de", "en", "ar", "fa", "fr"} <= languages


def test_every_custom_action_the_domain_names_is_served_by_the_action_server():
    """A rule may name only actions the action server runs: else the client gets no reply."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    domain = [
        yaml.safe_load(path.read_text()) or {} for path in (ROOT / "bot" / "domain").glob("*.yml")
    ]
    named = {
        action
        for part in domain
        for action in part.get("actions") or []
        if isinstance(action, str) and action.startswith("action_")
    }
    assert named and named - set(executor.actions) == set()
