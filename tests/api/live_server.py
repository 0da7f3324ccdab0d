"""A real uvicorn server process on the test database, for tests that need real concurrency."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
LAST_OUTPUT = ""  # everything the last server printed, for tests that read its logs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def uvicorn_process(
    app: str,
    *,
    env: dict[str, str],
    port: int,
    workers: int = 1,
    extra_args: tuple[str, ...] = (),
    health_path: str = "/health",
    startup_seconds: float = 60,
) -> Iterator[str]:
    """Runs `uvicorn app` until the block ends; yields its base URL once `health_path` answers 200."""
    global LAST_OUTPUT
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--no-access-log", "--log-level", env.get("LOTSE_LOG_LEVEL", "warning"), *extra_args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stdout.read() if process.stdout else ''}")
            try:
                if httpx.get(f"{base}{health_path}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start within {startup_seconds:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            LAST_OUTPUT = process.communicate(timeout=15)[0] or ""
        except subprocess.TimeoutExpired:
            process.kill()
            LAST_OUTPUT = process.communicate()[0] or ""


@contextmanager
def live_server(workers: int = 2, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The kiosk API on the test database, in a process of its own."""
    port = free_port()
    env = {**os.environ, "LOTSE_PORT": str(port), **(extra_env or {})}
    with uvicorn_process("kiosk_api.main:app", env=env, port=port, workers=workers) as base:
        yield base
