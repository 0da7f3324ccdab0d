"""Gap 7: the action server had no authentication, and its actions act for clients on the kiosk
API with the bot's service token. Now only Rasa, sending LOTSE_ACTIONS_SECRET, gets an action
run."""

from __future__ import annotations

import httpx

from tests.security.conftest import Stack, said
from tests.support.assistant import ACTIONS_SECRET

ACTION_CALL = {
    "next_action": "action_session_start",
    "sender_id": "intruder",
    "tracker": {
        "sender_id": "intruder",
        "slots": {},
        "latest_message": {},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    },
    "domain": {},
    "version": "3.6.21",
}


def test_an_action_call_without_the_secret_is_refused(stack: Stack) -> None:
    webhook = f"{stack.actions_url}/webhook"
    assert httpx.post(webhook, json=ACTION_CALL, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer " + "x" * len(ACTIONS_SECRET)}
    assert httpx.post(webhook, json=ACTION_CALL, headers=wrong, timeout=30).status_code == 401
    assert httpx.get(f"{stack.actions_url}/actions", timeout=30).status_code == 401
    assert httpx.get(f"{stack.actions_url}/health", timeout=30).status_code == 200


def test_rasa_with_the_secret_still_runs_the_actions(stack: Stack) -> None:
    """The honest path: a custom action (the language chosen by button) runs and answers."""
    replies = stack.say("client-actions", '/choose_language{"language": "fr"}')
    assert replies and not said(replies, "utter_message_too_long")
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/client-actions/tracker",
        headers={"Authorization": f"Bearer {stack.admin_token()}"},
        timeout=30,
    ).json()
    assert tracker["slots"].get("language") == "fr"


def test_the_action_server_does_not_start_without_a_secret() -> None:
    import os
    import subprocess

    from tests.support.assistant import BOT_PY
    from tests.support.processes import ROOT

    env = {key: value for key, value in os.environ.items() if key != "LOTSE_ACTIONS_SECRET"}
    for secret in (None, "short"):
        if secret:
            env["LOTSE_ACTIONS_SECRET"] = secret
        result = subprocess.run(
            [
                str(BOT_PY),
                "-m",
                "bot.runtime.action_server",
                "--actions",
                "bot.actions",
                "--port",
                "9",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode != 0
        assert "LOTSE_ACTIONS_SECRET" in result.stderr


def test_production_has_no_rest_channel_and_sends_the_actions_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Gap 7: the REST channel believes any `sender`; production serves clients on socket.io and
    messengers."""
    import os
    import subprocess
    import sys

    import yaml

    from tests.support.processes import ROOT

    written = {}
    for environment in ("production", "development"):
        folder = tmp_path / environment
        env = dict(os.environ, LOTSE_ENVIRONMENT=environment, LOTSE_ACTIONS_SECRET=ACTIONS_SECRET)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.scripts.write_config",
                "--endpoints",
                str(folder / "endpoints.yml"),
                "--credentials",
                str(folder / "credentials.yml"),
                "--var",
                str(folder),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        written[environment] = {
            name: yaml.safe_load((folder / f"{name}.yml").read_text())
            for name in ("endpoints", "credentials")
        }
        assert (
            folder / "credentials.yml"
        ).stat().st_mode & 0o077 == 0  # it holds messenger secrets
    assert (
        "rest" not in written["production"]["credentials"]
        and "socketio" in written["production"]["credentials"]
    )
    assert "rest" in written["development"]["credentials"]
    headers = written["production"]["endpoints"]["action_endpoint"]["headers"]
    assert headers == {"Authorization": f"Bearer {ACTIONS_SECRET}"}
