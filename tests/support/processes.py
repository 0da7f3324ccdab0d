"""Server processes for tests and benchmarks: start, wait until they answer, stop with children.

Standard library only: the bot's Python 3.10 environment (no kiosk API packages) imports this.
Each process writes its own log file; a failure to start carries the log's tail."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG_TAIL_CHARS = 3000
# Every server started here listens on loopback: a proxy from the environment must not be asked.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerFailed(RuntimeError):
    """A server process exited or did not answer in time."""


def below_500(status: int) -> bool:
    return status < 500


def success(status: int) -> bool:
    return 200 <= status < 300


def http_status(
    url: str, *, method: str = "GET", json_body: bytes | None = None, timeout: float = 30
) -> int | None:
    """The status `url` answers with, or None when nothing answers (yet)."""
    headers = {"Content-Type": "application/json"} if json_body is not None else {}
    request = urllib.request.Request(url, data=json_body, method=method, headers=headers)
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return None


@dataclass
class ServerProcess:
    """A started process in a process group of its own, with its output in `log`."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def failed(self, reason: str) -> ServerFailed:
        return ServerFailed(
            f"{self.name}: {reason}\n--- end of {self.log} ---\n{self.output()[-LOG_TAIL_CHARS:]}"
        )

    def wait_until_answering(
        self,
        url: str,
        *,
        timeout: float,
        answered: Callable[[int], bool] = below_500,
        method: str = "GET",
        json_body: bytes | None = None,
        interval: float = 0.5,
    ) -> None:
        """Polls `url` until its status satisfies `answered`; fails early if the process exits."""
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise self.failed(f"exited with code {self.popen.returncode} before {url} answered")
            status = http_status(url, method=method, json_body=json_body)
            if status is not None and answered(status):
                return
            if time.monotonic() > deadline:
                raise self.failed(
                    f"{url} did not answer within {timeout:.0f} s (last status {status})"
                )
            time.sleep(interval)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to the group (uvicorn workers, Rasa under its script), then SIGKILL."""
        _signal_group(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        _signal_group(self.popen.pid, signal.SIGKILL)  # children the leader left behind


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def start_process(
    name: str, args: Sequence[str], *, env: Mapping[str, str], log_dir: Path, cwd: Path = ROOT
) -> ServerProcess:
    """Starts `args` in a process group of its own; stdout and stderr go to `log_dir/<name>.log`."""
    log = log_dir / f"{name}.log"
    with log.open("wb") as handle:
        popen = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ServerProcess(name, popen, log)


@contextmanager
def uvicorn_server(
    app: str,
    *,
    env: Mapping[str, str],
    port: int,
    log_dir: Path,
    name: str = "uvicorn",
    python: str = sys.executable,
    workers: int = 1,
    extra_args: Sequence[str] = (),
    health_path: str = "/health",
    startup_seconds: float = 60,
) -> Iterator[str]:
    """Runs `uvicorn app` until the block ends; yields its base URL once `health_path` answers 200.

    The whole output stays in `log_dir/<name>.log` after the block, for tests that read it."""
    server = start_process(
        name,
        [
            python,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            # as `lotse serve`: forwarded headers count only from LOTSE_TRUSTED_PROXIES
            "--no-proxy-headers",
            "--log-level",
            env.get("LOTSE_LOG_LEVEL", "warning"),
            *extra_args,
        ],
        env=env,
        log_dir=log_dir,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_until_answering(
            base + health_path,
            timeout=startup_seconds,
            answered=lambda status: status == 200,
            interval=0.2,
        )
        yield base
    finally:
        server.stop(timeout=15)
