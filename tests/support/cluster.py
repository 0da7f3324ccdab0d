"""`make run-cluster` (scripts/run_cluster.sh) on given PostgreSQL and Redis, for the cluster test
and the benchmarks that drive it: started, waited for, and stopped with all its processes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port
from tests.support.stores import Postgres, Redis

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Lotse cluster is running"
START_SECONDS = 420


def start_stopped(script: subprocess.Popen[bytes]) -> None:
    """Asks run_cluster.sh (the process running_cluster yields) to start every instance that has
    stopped again, on its port; the proxy sends to each again once its health check passes."""
    os.kill(script.pid, signal.SIGUSR1)


@contextmanager
def running_cluster(
    folder: Path, port: int, postgres: Postgres, redis: Redis
) -> Iterator[subprocess.Popen[bytes]]:
    """The cluster behind its proxy on `port`; its files and log (run-cluster.log) in `folder`."""
    env = dict(
        os.environ,
        LOTSE_CLUSTER_DIR=str(folder),
        LOTSE_CLUSTER_PORT=str(port),
        LOTSE_TEST_POSTGRES_URL=postgres.url,
        LOTSE_TEST_REDIS_URL=redis.url,
    )
    for name in ("LOTSE_API_URL", "LOTSE_BOT_TOKEN", "LOTSE_DATABASE_URL", "LOTSE_RASA_URL"):
        env.pop(name, None)  # the caller's own servers' settings, not the cluster's
    log_path = folder / "run-cluster.log"
    with log_path.open("w") as log:
        script = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "run_cluster.sh")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while READY_LINE not in log_path.read_text():
                if script.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-3000:])
                time.sleep(1)
            yield script
        finally:
            os.killpg(script.pid, signal.SIGTERM)
            try:
                script.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(script.pid, signal.SIGKILL)


@dataclass(frozen=True)
class Throwaway:
    folder: Path
    port: int
    postgres: Postgres
    redis: Redis


@contextmanager
def throwaway_cluster(scratch: Path) -> Iterator[Throwaway]:
    """The cluster on a PostgreSQL and a Redis of its own under `scratch`, all removed afterwards
    (the cluster benchmarks)."""
    postgres = Postgres()
    try:
        redis = Redis(scratch / "redis")
        try:
            folder = scratch / "cluster"
            folder.mkdir()
            port = free_port()
            with running_cluster(folder, port, postgres, redis):
                yield Throwaway(folder, port, postgres, redis)
        finally:
            redis.stop()
    finally:
        postgres.remove()
