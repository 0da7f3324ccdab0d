"""Starts the real parts on free loopback ports: kiosk API (.venv), action server and Rasa
(.venv-bot)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.support import assistant, standins
from tests.support.ports import free_port
from tests.support.processes import ROOT, ServerProcess, start_process

API_PY = ROOT / ".venv" / "bin" / "python"
BOT_PY = Path(sys.executable)
BOT_TOKEN = "test-bot-token-0123456789abcdef"
JWT_SECRET = (
    assistant.JWT_SECRET
)  # the Rasa servers' (tests/support/assistant.py); the kiosk API pushes with it
# Word-for-word test lexicons for tiny real argostranslate packages
# (tests/translation/argos_builder.py; conftest.py installs them).
AR_DE = {"أحتاج": "brauche", "موعدا": "Termin", "جديدا": "neu", "شكرا": "danke"}
DE_AR = {"Bitte": "رجاء", "Ausweis": "هوية", "mitbringen": "أحضر"}
STAFF_USER = "desk.tester"
STAFF_PASSWORD = "desk-password-123456"


class Servers:
    """Processes started for the tests and stopped, each with its children, at the end."""

    def __init__(self, workdir: Path, *, all_sites: bool = False) -> None:
        self.workdir = workdir
        # False: the default site only (tests.support.seeding); True: every site under sites/ with
        # the area table, as `lotse init` sets up a deployment.
        self.all_sites = all_sites
        self.processes: list[ServerProcess] = []
        self.api_url = ""
        self.actions_url = ""
        self.rasa_url = ""
        # Chosen before the kiosk API starts: its notification dispatcher pushes into this Rasa
        # server.
        self.rasa_port = free_port()
        self.argos_dir = workdir / "argos-packages"
        # Stand-ins of the messengers' APIs, started with the session's Rasa server.
        self.messengers = standins.Messengers()

    def start(
        self, name: str, args: list[str], env: dict[str, str], cwd: Path = ROOT
    ) -> ServerProcess:
        process = start_process(name, args, env=env, log_dir=self.workdir, cwd=cwd)
        self.processes.append(process)
        return process

    def api_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            LOTSE_DATABASE_URL=f"sqlite:///{self.workdir / 'lotse.db'}",
            LOTSE_BOT_TOKEN=BOT_TOKEN,
            LOTSE_SECRET_KEY="test-secret-key-0123456789abcdef",
            LOTSE_ENVIRONMENT="test",
            LOTSE_RASA_URL=f"http://127.0.0.1:{self.rasa_port}",
            LOTSE_RASA_JWT_SECRET=JWT_SECRET,
            LOTSE_NOTIFICATION_DISPATCHER="true",
            LOTSE_ARGOS_PACKAGES_DIR=str(self.argos_dir),
            # The main Rasa server's store (start_rasa below): erasure reaches the conversations
            # there.
            LOTSE_TRACKER_DATABASE_URL=self.tracker_url,
        )
        return env

    @property
    def tracker_url(self) -> str:
        return f"sqlite:///{self.workdir / 'rasa' / 'tracker.db'}"

    def start_api(self) -> str:
        if not API_PY.exists():
            raise RuntimeError("the kiosk API environment .venv is missing (make install)")
        env = self.api_env()
        seeding = (
            ["kiosk_api.cli", "init", "--days", "14"]
            if self.all_sites
            else [
                "tests.support.seeding",
                "--slot-days",
                "14",
                "--staff",
                f"{STAFF_USER}:desk:{STAFF_PASSWORD}",
            ]
        )
        if self.all_sites:
            env["LOTSE_ADMIN_PASSWORD"] = "admin-password-123456"
        subprocess.run(
            [str(API_PY), "-m", *seeding],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        port = free_port()
        process = self.start(
            "api",
            [
                str(API_PY),
                "-m",
                "uvicorn",
                "kiosk_api.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env,
        )
        self.api_url = f"http://127.0.0.1:{port}"
        process.wait_until_answering(self.api_url + "/api/v1/languages", timeout=120)
        return self.api_url

    def start_actions(self) -> str:
        port = free_port()
        process = assistant.start_actions(
            self.workdir, api_url=self.api_url, bot_token=BOT_TOKEN, port=port
        )
        self.processes.append(process)
        self.actions_url = f"http://127.0.0.1:{port}"
        process.wait_until_answering(self.actions_url + "/health", timeout=180)
        return self.actions_url

    def start_rasa(
        self, model: Path, name: str = "rasa", stores: dict[str, str] | None = None
    ) -> str:
        """A Rasa server via start_rasa.sh; `stores` sets LOTSE_TRACKER_DATABASE_URL /
        LOTSE_REDIS_URL (default: SQLite in its own folder, no Redis)."""
        port = self.rasa_port if name == "rasa" else free_port()
        var = self.workdir / name
        var.mkdir(exist_ok=True)
        env = dict(stores or {})
        if name == "rasa":  # the session's server runs every messenger channel against its stand-in
            self.messengers = standins.start_all(self.workdir)
            env.update(self.messengers.env)
        process = assistant.start_rasa(
            var,
            port=port,
            actions_url=self.actions_url + "/webhook",
            model=model,
            name=name,
            extra_env=env,
        )
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        if name == "rasa":
            self.rasa_url = url
        assistant.wait_until_loaded(process, url)
        return url

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.messengers.stop()


def stored_strings(tracker_db: Path, sender: str) -> list[str]:
    """Every text the tracker store keeps of one conversation: the string values inside its
    events (numbers such as timestamps left out, so a PIN cannot match one by chance)."""

    def strings(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield str(key)
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    return [text for (data,) in rows for text in strings(json.loads(data))]


def model_path() -> Path:
    model = ROOT / "bot" / "models" / "lotse.tar.gz"
    if not model.exists():
        raise RuntimeError("no trained model: run `make bot-train` first")
    return model


def has_api_env() -> bool:
    return API_PY.exists() and shutil.which(str(API_PY)) is not None


def handover_response(opening: dict) -> str:
    """The response a request for a person gets, from the kiosk API's opening status: the desk is
    open, closed until its next hours, or has no hours at all."""
    if opening["open_now"]:
        return "utter_handover_open"
    if opening["next_opening_at"]:
        return "utter_handover_closed_hours"
    return "utter_handover_no_hours"
