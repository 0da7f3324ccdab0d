"""The assistant for tests that talk to it whole: action server and Rasa server with Lotse's trained
model, started as `make run` starts them (bot/scripts/start_actions.sh, bot/scripts/start_rasa.sh).

Standard library only, like processes.py."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port
from tests.support.processes import ROOT, ServerProcess, start_process, success

BOT_PY = ROOT / ".venv-bot" / "bin" / "python"
MODEL = ROOT / "bot" / "models" / "lotse.tar.gz"
JWT_SECRET = "assistant-test-jwt-secret-0123456789abcdef"
ACTIONS_SECRET = "assistant-test-actions-secret-0123456789abcdef"


@dataclass(frozen=True)
class Assistant:
    rasa_url: str
    actions_url: str
    jwt_secret: str
    var: Path


def built() -> bool:
    return BOT_PY.exists() and MODEL.exists()


def start_rasa(
    var: Path,
    *,
    port: int,
    actions_url: str,
    model: Path = MODEL,
    name: str = "rasa",
    extra_env: dict[str, str] | None = None,
) -> ServerProcess:
    """Rasa via start_rasa.sh, its tracker store in `var` (SQLite), no Redis."""
    env = dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        LOTSE_ACTIONS_URL=actions_url,
        LOTSE_VAR=str(var),
        RASA_JWT_SECRET=JWT_SECRET,
        RASA_PORT=str(port),
        RASA_MODEL=str(model),
        BOT_PY=str(BOT_PY),
        LOTSE_ACTIONS_SECRET=ACTIONS_SECRET,
        LOTSE_TRACKER_DATABASE_URL=f"sqlite:///{var / 'tracker.db'}",
    )
    env.pop("LOTSE_REDIS_URL", None)
    env.update(extra_env or {})
    return start_process(
        name, ["bash", str(ROOT / "bot" / "scripts" / "start_rasa.sh")], env=env, log_dir=var
    )


def start_actions(var: Path, *, api_url: str, bot_token: str, port: int) -> ServerProcess:
    """The action server via start_actions.sh, admitting only Rasa (LOTSE_ACTIONS_SECRET)."""
    env = dict(
        os.environ,
        LOTSE_API_URL=api_url,
        LOTSE_BOT_TOKEN=bot_token,
        ACTIONS_PORT=str(port),
        LOTSE_ACTIONS_SECRET=ACTIONS_SECRET,
        BOT_PY=str(BOT_PY),
    )
    return start_process(
        "actions",
        ["bash", str(ROOT / "bot" / "scripts" / "start_actions.sh")],
        env=env,
        log_dir=var,
    )


def wait_until_loaded(rasa: ServerProcess, url: str) -> None:
    """Rasa's root answers before the model is loaded; the REST channel only once it is."""
    greeting = json.dumps({"sender": "warm-up", "message": "/greet"}).encode()
    rasa.wait_until_answering(
        f"{url}/webhooks/rest/webhook",
        timeout=300,
        answered=success,
        method="POST",
        json_body=greeting,
        interval=1,
    )


@contextmanager
def assistant(
    var: Path,
    *,
    api_url: str,
    bot_token: str,
    rasa_port: int | None = None,
    rasa_env: dict[str, str] | None = None,
) -> Iterator[Assistant]:
    """Action server (talking to the kiosk API at `api_url`) and Rasa, until the block ends;
    yields once Rasa's REST channel answers, i.e. the model is loaded."""
    actions_port, rasa_port = free_port(), rasa_port or free_port()
    actions = start_actions(var, api_url=api_url, bot_token=bot_token, port=actions_port)
    actions_url = f"http://127.0.0.1:{actions_port}"
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    rasa = start_rasa(var, port=rasa_port, actions_url=f"{actions_url}/webhook", extra_env=rasa_env)
    try:
        actions.wait_until_answering(f"{actions_url}/health", timeout=180)
        wait_until_loaded(rasa, rasa_url)
        yield Assistant(rasa_url=rasa_url, actions_url=actions_url, jwt_secret=JWT_SECRET, var=var)
    finally:
        rasa.stop()
        actions.stop()
