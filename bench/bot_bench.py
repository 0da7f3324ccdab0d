"""Latency of one message through the Rasa REST channel at 10 concurrent conversations.

Lotse (NLU + language identification, policies, action server, kiosk API, gettext NLG) against a
plain Rasa server answering a one-intent model, in the same run on the same machine. Prints
p50/p95/p99. Bounded: WARMUP + ROUNDS messages per conversation, loopback only.
"""

from __future__ import annotations

import os
import statistics
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
from servers import Servers, model_path  # noqa: E402

from tests.support.ports import free_port  # noqa: E402

CONVERSATIONS = int(os.environ.get("BENCH_CONVERSATIONS", "10"))
WARMUP = 2
ROUNDS = 15
# A realistic mix: small talk, an SGB II question (content from the API), appointment and documents.
LOTSE_MESSAGES = [
    "Hallo",
    "Was ist Bürgergeld?",
    "Wann ist mein Termin?",
    "Welche Unterlagen brauche ich?",
    "ما هو البورغرغيلد؟",
    "I need an appointment",
]
PLAIN_MESSAGES = ["hello"]

PLAIN_DOMAIN = """version: "3.1"
intents: [greet]
responses:
  utter_greet:
  - text: "Hello"
"""
PLAIN_CONFIG = """recipe: default.v1
language: en
assistant_id: plain
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
policies:
  - name: RulePolicy
"""
PLAIN_DATA = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
"""


def train_plain(
    workdir: Path, *, domain: str = PLAIN_DOMAIN, config: str = PLAIN_CONFIG, data: str = PLAIN_DATA
) -> Path:
    """A plain Rasa bot (Rasa as released, with the same .venv-bot) trained from these files in
    `workdir`/plain; its model's path."""
    project = workdir / "plain"
    (project / "data").mkdir(parents=True)
    (project / "domain.yml").write_text(domain)
    (project / "config.yml").write_text(config)
    (project / "data" / "data.yml").write_text(data)
    subprocess.run(
        [sys.executable, "-m", "bot.runtime.server", "--without-patches", "train"]
        + ["--domain", "domain.yml", "--config", "config.yml", "--data", "data"]
        + ["--out", "models", "--fixed-model-name", "plain"],
        cwd=project,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),  # bot.runtime from the project's own folder
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return project / "models" / "plain.tar.gz"


def start_plain(servers: Servers, model: Path, *, patched: bool = False) -> tuple[str, int]:
    """Rasa as released serving the plain model; `patched` with Lotse's patches, without which its
    socket.io channel answers no websocket client on Python 3.11 (bot/runtime/patches.py, 9 and
    10). Its URL and process id."""
    port = free_port()
    args = [sys.executable, "-m", "bot.runtime.server"]
    args += ["run"] if patched else ["--without-patches", "run"]
    args += ["--model", str(model), "--interface", "127.0.0.1", "--port", str(port)]
    args += ["--credentials", str(ROOT / "bot" / "credentials.yml")]
    process = servers.start(
        "plain", args, dict(os.environ, PYTHONPATH=str(ROOT)), cwd=model.parent.parent
    )
    url = f"http://127.0.0.1:{port}"
    process.wait_until_answering(url + "/", timeout=300)
    return url, process.pid


def load(
    url: str, messages: list[str], by_message: dict[str, list[float]] | None = None
) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def conversation(index: int) -> None:
        sender = f"bench-{uuid.uuid4().hex[:8]}"
        session = requests.Session()
        for turn in range(WARMUP + ROUNDS):
            text = messages[(index + turn) % len(messages)]
            started = time.perf_counter()
            response = session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
            )
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            if turn >= WARMUP:
                with lock:
                    latencies.append(elapsed * 1000)
                    if by_message is not None:
                        by_message.setdefault(text, []).append(elapsed * 1000)

    threads = [threading.Thread(target=conversation, args=(i,)) for i in range(CONVERSATIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux); it depends far less on other load than
    latency does."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def describe(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (
        f"{name:34} n={len(ordered):4}  p50 {statistics.median(ordered):7.1f} ms  p95 "
        f"{pick(0.95):7.1f} ms  p99 {pick(0.99):7.1f} ms  max {ordered[-1]:7.1f} ms"
    )


def main() -> int:
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        servers = Servers(workdir)
        try:
            plain_model = train_plain(workdir)
            servers.start_api()
            servers.start_actions()
            lotse_url = servers.start_rasa(model_path())
            plain_url, _ = start_plain(servers, plain_model)
            print(
                f"{CONVERSATIONS} concurrent conversations, {ROUNDS} measured messages each (after "
                f"{WARMUP} warm-up); load average {Path('/proc/loadavg').read_text().split()[0]}"
            )
            print(describe("plain Rasa, one-intent model", load(plain_url, PLAIN_MESSAGES)))
            by_message: dict[str, list[float]] = {}
            lotse = dict(zip(("kiosk API", "action server", "Rasa"), servers.processes[:3]))
            before = {name: cpu_seconds(process.pid) for name, process in lotse.items()}
            print(
                describe(
                    "Lotse (NLU, actions, kiosk API)", load(lotse_url, LOTSE_MESSAGES, by_message)
                )
            )
            messages = CONVERSATIONS * (WARMUP + ROUNDS)
            print(
                "    CPU per message: "
                + ", ".join(
                    f"{name} {(cpu_seconds(process.pid) - before[name]) / messages * 1000:.1f} ms"
                    for name, process in lotse.items()
                )
            )
            for text, values in by_message.items():
                print(f"    {text[:30]:30} median {statistics.median(values):7.1f} ms")
        finally:
            servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
