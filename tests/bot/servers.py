"""Starts the real parts on free loopback ports: kiosk API (.venv), action server and Rasa (.venv-bot)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
API_PY = ROOT / ".venv" / "bin" / "python"
BOT_PY = Path(sys.executable)
BOT_TOKEN = "test-bot-token-0123456789abcdef"
JWT_SECRET = "test-jwt-secret-0123456789abcdef"
STAFF_USER = "desk.tester"
STAFF_PASSWORD = "desk-password-123456"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout} s:\n{log.read_text()[-3000:]}")


class Servers:
    """Processes started for the tests and stopped, each by its own handle, at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[subprocess.Popen] = []
        self.api_url = ""
        self.actions_url = ""
        self.rasa_url = ""
        # Chosen before the kiosk API starts: its notification dispatcher pushes into this Rasa server.
        self.rasa_port = free_port()
        self.argos_dir = workdir / "argos-packages"

    def _start(self, name: str, args: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[subprocess.Popen, Path]:
        log = self.workdir / f"{name}.log"
        handle = log.open("w")
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process, log

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
        )
        return env

    def start_api(self) -> str:
        if not API_PY.exists():
            raise RuntimeError("the kiosk API environment .venv is missing (make install)")
        env = self.api_env()
        lotse = str(ROOT / ".venv" / "bin" / "lotse")
        for command in ([lotse, "migrate"], [lotse, "seed-demo"]):
            subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
        subprocess.run(
            [lotse, "staff", "create", STAFF_USER, "--role", "desk", "--password-stdin"],
            cwd=ROOT, env=env, input=STAFF_PASSWORD.encode(), check=True, capture_output=True, timeout=120,
        )
        port = free_port()
        process, log = self._start(
            "api", [str(API_PY), "-m", "uvicorn", "kiosk_api.main:app", "--host", "127.0.0.1", "--port", str(port)], env
        )
        self.api_url = f"http://127.0.0.1:{port}"
        wait_for(self.api_url + "/api/v1/languages", process, 120, log)
        return self.api_url

    def start_actions(self) -> str:
        port = free_port()
        env = dict(os.environ, LOTSE_API_URL=self.api_url, LOTSE_BOT_TOKEN=BOT_TOKEN, SANIC_HOST="127.0.0.1")
        process, log = self._start("actions", [str(BOT_PY), "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(port)], env)
        self.actions_url = f"http://127.0.0.1:{port}"
        wait_for(self.actions_url + "/health", process, 180, log)
        return self.actions_url

    def start_rasa(self, model: Path, name: str = "rasa", stores: dict[str, str] | None = None) -> str:
        """A Rasa server via start_rasa.sh; `stores` sets TRACKER_DB_URL / LOTSE_REDIS_URL (default: SQLite, no Redis)."""
        port = self.rasa_port if name == "rasa" else free_port()
        var = self.workdir / name
        var.mkdir(exist_ok=True)
        env = dict(
            os.environ,
            RASA_TELEMETRY_ENABLED="false",
            LOTSE_ACTIONS_URL=self.actions_url + "/webhook",
            LOTSE_VAR=str(var),
            RASA_JWT_SECRET=JWT_SECRET,
            RASA_PORT=str(port),
            RASA_MODEL=str(model),
            BOT_PY=str(BOT_PY),
        )
        env.pop("TRACKER_DB_URL", None)
        env.pop("LOTSE_REDIS_URL", None)
        env.update(stores or {})
        process, log = self._start(name, ["bash", str(ROOT / "bot" / "scripts" / "start_rasa.sh")], env)
        url = f"http://127.0.0.1:{port}"
        if name == "rasa":
            self.rasa_url = url
        wait_for(url + "/status?token=invalid", process, 300, log)
        # /status answers before the model is loaded; the REST webhook is ready once / says hello.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if requests.post(url + "/webhooks/rest/webhook", json={"sender": "warmup", "message": "/greet"}, timeout=30).ok:
                    return url
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError("Rasa REST channel did not answer")

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def model_path() -> Path:
    model = ROOT / "bot" / "models" / "lotse.tar.gz"
    if not model.exists():
        raise RuntimeError("no trained model: run `make bot-train` first")
    return model


def has_api_env() -> bool:
    return API_PY.exists() and shutil.which(str(API_PY)) is not None
