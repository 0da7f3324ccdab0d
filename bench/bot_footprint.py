"""The assistant's footprint (issue 15, docs/benchmarks.md): Rasa's start until its REST channel
answers, its resident memory after warm-up and after 1,000 conversations, Rasa CPU per message, the
environment's size and its install time with an empty uv cache.

`make bench-bot-footprint` measures .venv-bot with Lotse's model. `--before REV` also builds, in a
temporary folder, the environment requirements/bot.lock held at git revision REV (before issue 15:
Python 3.10 with TensorFlow, 2.6 GB) and gives its size and cold install time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bot"))  # the same process helpers the bot tests use
from bot_bench import LOTSE_MESSAGES, cpu_seconds  # noqa: E402
from servers import Servers, model_path  # noqa: E402

UV = ROOT / ".venv-tools" / "bin" / "uv"
CONVERSATIONS = int(os.environ.get("BENCH_FOOTPRINT_CONVERSATIONS", "1000"))
MESSAGES_PER_CONVERSATION = 3
CONCURRENT = 10
WARMUP_CONVERSATIONS = 20


def size_mb(path: Path) -> float:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1e6


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def find_python(version: str) -> str:
    """An interpreter of `version` on this machine, looked for where the Makefile's find_python
    looks (PATH, pyenv, /usr); else `version` itself, for uv to find or download."""
    candidates = [f"python{version}"]
    candidates += sorted(
        str(p) for p in Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}")
    )
    candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for candidate in candidates:
        check = (
            f"import sys; sys.exit(sys.version_info[:2] != {tuple(map(int, version.split('.')))})"
        )
        try:
            if subprocess.run([candidate, "-c", check], capture_output=True).returncode == 0:
                return candidate
        except OSError:
            continue
    return version


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def cold_install(lock: Path, python: str, workdir: Path) -> tuple[float, float]:
    """Seconds to install `lock` into a new environment with an empty uv cache, and its size."""
    venv = workdir / "venv"
    subprocess.run([str(UV), "venv", "-q", "-p", python, str(venv)], check=True)
    env = dict(os.environ, UV_CACHE_DIR=str(workdir / "uv-cache"))
    started = time.perf_counter()
    subprocess.run(
        [str(UV), "pip", "sync", "-q", "--python", str(venv / "bin" / "python")]
        + ["--require-hashes", str(lock)],
        check=True,
        env=env,
    )
    return time.perf_counter() - started, size_mb(venv)


def converse(url: str, conversations: int) -> int:
    """`conversations` short conversations, CONCURRENT at a time; returns the messages sent."""
    counter = iter(range(conversations))
    lock = threading.Lock()
    sent = [0]

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            sender = f"footprint-{uuid.uuid4().hex[:8]}"
            for turn in range(MESSAGES_PER_CONVERSATION):
                text = LOTSE_MESSAGES[(index + turn) % len(LOTSE_MESSAGES)]
                session.post(
                    f"{url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": text},
                    timeout=120,
                ).raise_for_status()
                with lock:
                    sent[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent[0]


def serve(workdir: Path) -> None:
    servers = Servers(workdir)
    try:
        servers.start_api()
        servers.start_actions()
        started = time.perf_counter()
        url = servers.start_rasa(model_path())
        print(f"start to ready (REST answers): {time.perf_counter() - started:.1f} s")
        rasa = servers.processes[-1]
        converse(url, WARMUP_CONVERSATIONS)
        print(
            f"RSS after warm-up ({WARMUP_CONVERSATIONS} conversations): {rss_mb(rasa.pid):.0f} MB"
        )
        before = cpu_seconds(rasa.pid)
        sent = converse(url, CONVERSATIONS)
        cpu_ms = (cpu_seconds(rasa.pid) - before) / sent * 1000
        print(
            f"RSS after {CONVERSATIONS} conversations ({sent} messages): {rss_mb(rasa.pid):.0f} MB"
        )
        print(f"Rasa CPU per message: {cpu_ms:.1f} ms (load average {load_average()})")
    finally:
        servers.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", metavar="REV", help="also the bot lock at this git revision")
    args = parser.parse_args()
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    print(f"load average {load_average()}")
    print(f".venv-bot: Python {sys.version.split()[0]}, {size_mb(ROOT / '.venv-bot'):.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, size = cold_install(ROOT / "requirements" / "bot.lock", sys.executable, Path(tmp))
        print(f"install with an empty uv cache: {seconds:.1f} s ({size:.0f} MB)")
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            lock = Path(tmp) / "bot-before.lock"
            lock.write_text(
                subprocess.run(
                    ["git", "show", f"{args.before}:requirements/bot.lock"],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            seconds, size = cold_install(lock, find_python("3.10"), Path(tmp))
            print(f"before ({args.before}, Python 3.10): install {seconds:.1f} s, {size:.0f} MB")
    print(f"load average {load_average()} before the server starts")
    with tempfile.TemporaryDirectory() as tmp:
        serve(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
