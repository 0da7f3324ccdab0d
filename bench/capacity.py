"""Capacity curve of the assistant (issue 11): an open-loop load generator over Rasa's REST channel.

Conversations arrive at a set rate (Poisson arrivals), each a short multilingual flow (SGB II
questions, a language choice, consent and registration start, a booking) with think time between
its messages. The rate is swept upwards until p95 or the errors show the server is past its knee;
each step prints messages/s, p50/p95/p99 and errors. Lotse (kiosk API on SQLite, action server,
Rasa with Lotse's model) is measured against a plain Rasa bot trained here on the same messages, in
the same run. Then Lotse's Rasa runs once under cProfile (CPU time) for a fixed number of
conversations, and the top functions of its message handling are printed in ms per message.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bot"))  # the same process helpers the bot tests use
import bot_bench  # noqa: E402
from bot_bench import cpu_seconds, start_plain  # noqa: E402
from servers import Servers, model_path  # noqa: E402

from bot.nlg.catalogs import all_catalogs  # noqa: E402
from bot.runtime.admission import BUSY_KEY  # noqa: E402

P95_LIMIT_MS = 500.0
# Lotse's "many people are writing right now" in every language (bot/runtime/admission.py).
BUSY_TEXTS = frozenset(texts[BUSY_KEY] for texts in all_catalogs().values() if texts.get(BUSY_KEY))
PICK_FIRST_BUTTON = "<first button>"
# The cluster's proxy refuses a message past its queue with 503 and {"error": "busy", …}.
PROXY_BUSY = "busy"


@dataclass(frozen=True)
class Say:
    """One user message: its intent (for the plain bot's training data) and text. With
    `button`, the payload of the last reply's first button is sent instead, when there is one."""

    intent: str
    text: str
    button: bool = False


# Flows written for this benchmark (not the held-out test questions), several languages each.
FLOWS: list[list[Say]] = [
    [
        Say("greet", "Guten Morgen"),
        Say("ask_sgb2", "Wer bekommt eigentlich Bürgergeld?"),
        Say("ask_sgb2", "Zahlt das Jobcenter auch meine Miete?"),
        Say("thank", "Vielen Dank"),
    ],
    [
        Say("greet", "Hi"),
        Say("ask_sgb2", "How do I apply for citizen's income?"),
        Say("ask_sgb2", "What papers do I need for the job centre?"),
        Say("choose_language", "Can we speak Arabic please?"),
        Say("ask_sgb2", "ماذا يحدث إذا فاتني موعد؟"),
    ],
    [
        Say("greet", "Merhaba"),
        Say("ask_sgb2", "Bürgergeld için kimler başvurabilir?"),
        Say("ask_sgb2", "Kira masraflarımı kim öder?"),
        Say("thank", "Teşekkürler"),
    ],
    [
        Say("greet", "Привіт"),
        Say("ask_sgb2", "Як подати заяву на Bürgergeld?"),
        Say("choose_language", "Bitte auf Deutsch"),
        Say("start_registration", "Ich möchte mich anmelden"),
        Say("affirm", "Ja, einverstanden"),
        Say("pause", "Ich mache später weiter"),
    ],
    [
        Say("start_registration", "I want to register with the job centre"),
        Say("affirm", "Yes, I agree"),
        Say("pause", "I will continue later"),
    ],
    [
        Say("greet", "Bonjour"),
        Say("ask_sgb2", "Quels documents dois-je apporter ?"),
        Say("start_registration", "Je voudrais m'inscrire au Jobcenter"),
        Say("deny", "Non, je ne suis pas d'accord"),
        Say("book_appointment", "Je voudrais un rendez-vous"),
        Say("inform", "demain", button=True),
        Say("inform", "le premier", button=True),
    ],
    [
        Say("start_registration", "Ich will mich beim Jobcenter anmelden"),
        Say("deny", "Nein, lieber nicht"),
        Say("book_appointment", "Ich brauche einen Termin"),
        Say("inform", "morgen", button=True),
        Say("inform", "den ersten", button=True),
        Say("thank", "Danke schön"),
    ],
    [
        Say("greet", "مرحبا"),
        Say("ask_sgb2", "من يحق له الحصول على البورغرغيلد؟"),
        Say("ask_sgb2", "هل يدفع الجوب سنتر الإيجار؟"),
        Say("book_appointment", "أريد موعدا"),
        Say("inform", "غدا", button=True),
    ],
]
MEAN_FLOW = statistics.mean(len(flow) for flow in FLOWS)


@dataclass
class Step:
    """The replies of one rate step."""

    rate: float  # conversations per minute
    latencies_ms: list[float] = field(default_factory=list)
    in_window: int = 0  # replies completed in the second half of the arrival window
    errors: int = 0
    timeouts: int = 0
    silent: int = 0  # REST answers with no message (over socket.io these wait into a timeout)
    busy: int = 0  # the busy message (the instance past its limit), or refused by the proxy
    refused: int = 0  # of those, refused by the cluster's proxy (503 with its busy body)
    refused_ms: list[float] = field(default_factory=list)  # their latencies
    conversations: int = 0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    @property
    def messages(self) -> int:
        return len(self.latencies_ms) + self.errors + self.timeouts

    def answered(
        self, started: float, replies: list[dict[str, Any]], window: tuple[float, float]
    ) -> None:
        """One message answered now: its latency, whether inside the counting window, and
        whether the answer was nothing or the busy message."""
        finished = time.perf_counter()
        self.latencies_ms.append((finished - started) * 1000)
        self.in_window += window[0] <= finished <= window[1]
        self.silent += not replies
        self.busy += any(reply.get("text") in BUSY_TEXTS for reply in replies)

    def refused_by_proxy(self, started: float, window: tuple[float, float]) -> None:
        """One message the cluster's proxy refused past its queue (scripts/cluster_proxy.sh): a
        client shows the busy message at once, so it counts as answered "busy"."""
        self.answered(started, [], window)
        self.refused_ms.append(self.latencies_ms[-1])
        self.silent -= 1
        self.busy += 1
        self.refused += 1


async def converse(
    http: aiohttp.ClientSession,
    url: str,
    flow: list[Say],
    step: Step,
    *,
    think: tuple[float, float],
    reply_timeout: float,
    window: tuple[float, float],
) -> None:
    sender = f"cap-{uuid.uuid4().hex[:12]}"
    buttons: list[dict[str, str]] = []
    for index, say in enumerate(flow):
        if index:
            await asyncio.sleep(random.uniform(*think))
        text = buttons[0]["payload"] if say.button and buttons else say.text
        started = time.perf_counter()
        try:
            async with http.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
                timeout=aiohttp.ClientTimeout(total=reply_timeout),
            ) as response:
                replies = await response.json() if response.status == 200 else None
                if response.status == 503 and response.content_type == "application/json":
                    refusal = await response.json()
                    if refusal.get("error") == PROXY_BUSY:
                        step.refused_by_proxy(started, window)
                        return
        except TimeoutError:
            step.timeouts += 1
            return
        except aiohttp.ClientError:
            step.errors += 1
            return
        if replies is None:
            step.errors += 1
            return
        step.answered(started, replies, window)
        buttons = [b for reply in replies for b in reply.get("buttons", []) if "payload" in b]


async def converse_socketio(
    url: str,
    flow: list[Say],
    step: Step,
    *,
    think: tuple[float, float],
    reply_timeout: float,
    window: tuple[float, float],
) -> None:
    """The flow over socket.io as the web chat speaks it (tests/bot/test_socketio.py); the
    latency of a message is the time to the bot's first reply to it. A message the bot answers
    with nothing (an empty list over REST) waits here until the timeout and ends the flow."""
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", replies.put_nowait)
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    session_id = uuid.uuid4().hex
    try:
        await client.connect(url, transports=["websocket"], socketio_path="/socket.io")
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed, reply_timeout)
    except (TimeoutError, socketio.exceptions.ConnectionError):
        step.errors += 1
        await client.disconnect()
        return
    try:
        for index, say in enumerate(flow):
            if index:
                await asyncio.sleep(random.uniform(*think))
            earlier = [replies.get_nowait() for _ in range(replies.qsize())]
            buttons = [
                b
                for reply in earlier
                for b in reply.get("quick_replies", []) + reply.get("buttons", [])
                if "payload" in b
            ]
            text = buttons[0]["payload"] if say.button and buttons else say.text
            started = time.perf_counter()
            await client.emit(
                "user_uttered", {"message": text, "session_id": session_id, "customData": {}}
            )
            try:
                first = await asyncio.wait_for(replies.get(), reply_timeout)
            except TimeoutError:
                step.timeouts += 1
                return
            step.answered(started, [first], window)
    finally:
        await client.disconnect()


async def run_step(
    url: str,
    rate: float,
    *,
    duration: float | None,
    conversations: int | None = None,
    think: tuple[float, float],
    reply_timeout: float,
    channel: str = "rest",
) -> Step:
    """Conversations arriving at `rate` per minute for `duration` seconds (or until
    `conversations` have started); waits until all of them are done."""
    step = Step(rate)
    started = time.perf_counter()
    window_end = started + duration if duration else float("inf")
    # throughput counted once the conversations have ramped up (think time x flow length)
    window = (started + duration / 2 if duration else started, window_end)
    tasks: list[asyncio.Task[None]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        arrival = started
        while True:
            arrival += random.expovariate(rate / 60)
            if duration and arrival > window_end:
                break
            if conversations is not None and len(tasks) >= conversations:
                break
            await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
            flow = FLOWS[len(tasks) % len(FLOWS)]
            talk = (
                converse(
                    http, url, flow, step, think=think, reply_timeout=reply_timeout, window=window
                )
                if channel == "rest"
                else converse_socketio(
                    url, flow, step, think=think, reply_timeout=reply_timeout, window=window
                )
            )
            tasks.append(asyncio.create_task(talk))
        await asyncio.gather(*tasks)
    step.conversations = len(tasks)
    if not duration:
        step.in_window = len(step.latencies_ms)
    return step


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def sweep(
    name: str, url: str, pid: int, rates: list[float], args: argparse.Namespace
) -> tuple[list[Step], float]:
    """The capacity curve of one server; returns its steps and Rasa CPU ms per message."""
    print(f"\n{name} (load average {load_average()})")
    print(
        f"{'conv/min':>8} {'offered msg/s':>13} {'msg/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'errors':>6} {'timeouts':>8} {'no reply':>8} {'busy':>5}"
    )
    steps: list[Step] = []
    cpu_before = cpu_seconds(pid)
    for rate in rates:
        step = asyncio.run(
            run_step(
                url,
                rate,
                duration=args.duration,
                think=(args.think_min, args.think_max),
                reply_timeout=args.timeout,
                channel=args.channel,
            )
        )
        steps.append(step)
        print(
            f"{rate:8.0f} {rate * MEAN_FLOW / 60:13.1f} {2 * step.in_window / args.duration:6.1f} "
            f"{step.percentile(0.5):7.0f} {step.percentile(0.95):7.0f} "
            f"{step.percentile(0.99):7.0f} {max(step.latencies_ms, default=0):7.0f} "
            f"{step.errors:6} {step.timeouts:8} {step.silent:8} {step.busy:5}",
            flush=True,
        )
        failed = (step.errors + step.timeouts) / max(1, step.messages)
        refused = step.busy / max(1, step.messages)
        if step.percentile(0.95) > args.stop_p95 or failed > 0.05 or refused > 0.5:
            break
    cpu_ms = (cpu_seconds(pid) - cpu_before) / max(1, sum(s.messages for s in steps)) * 1000
    print(f"Rasa CPU per message over the sweep: {cpu_ms:.1f} ms (load average {load_average()})")
    return steps, cpu_ms


def capacity(steps: list[Step]) -> tuple[float, str]:
    """The highest rate (conversations/min) whose p95 stays below P95_LIMIT_MS without errors or
    busy replies, and ">=" when the sweep's last step did too: the knee lies beyond the rates
    tried."""
    good = [
        s for s in steps if s.percentile(0.95) < P95_LIMIT_MS and not s.errors + s.timeouts + s.busy
    ]
    best = max((s.rate for s in good), default=0.0)
    return best, ">=" if steps and steps[-1] in good else ""


def headline(name: str, steps: list[Step]) -> str:
    rate, bound = capacity(steps)
    return f"{name} {bound}{rate:.0f} conv/min (~{rate * MEAN_FLOW / 60:.0f} msg/s)"


# The plain reference: a few intents, one response each, a rule each, no TensorFlow. Rasa's
# LogisticRegressionClassifier cannot be saved here: skops probes the TensorFlow stand-in
# (bot/runtime/no_tensorflow.py) and fails, so the keyword classifier decides after the
# featurizer has done its work (the featurizing cost stays in the reference).
PLAIN_CONFIG = """recipe: default.v1
language: xx
assistant_id: plain
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: KeywordIntentClassifier
policies:
  - name: RulePolicy
"""


def train_plain(workdir: Path) -> Path:
    """A tiny Rasa bot trained on the flows' own messages: one intent, response and rule each."""
    intents = sorted({say.intent for flow in FLOWS for say in flow})
    domain = ['version: "3.1"', f"intents: [{', '.join(intents)}]", "responses:"]
    data = ['version: "3.1"', "nlu:"]
    rules = ["rules:"]
    for intent in intents:
        domain += [f"  utter_{intent}:", f'  - text: "{intent}"']
        # the keyword classifier wants a word boundary after each keyword: no final "?"
        texts = sorted(
            {say.text.rstrip("?!.؟ ") for flow in FLOWS for say in flow if say.intent == intent}
        )
        data += [f"- intent: {intent}", "  examples: |"] + [f"    - {text}" for text in texts]
        rules += [
            f"- rule: {intent}",
            "  steps:",
            f"  - intent: {intent}",
            f"  - action: utter_{intent}",
        ]
    return bot_bench.train_plain(
        workdir,
        domain="\n".join(domain) + "\n",
        config=PLAIN_CONFIG,
        data="\n".join(data + rules) + "\n",
    )


# Where a message's time goes: MessageProcessor's methods (Rasa 3.6), cumulative.
STAGES = {
    "load the tracker, start a session": "fetch_tracker_and_update_session",
    "NLU (in worker threads)": "_parse_message_with_graph",
    "policies: predict the next action": "_predict_next_with_tracker",
    "slot extraction (ActionExtractSlots, with the language: patch 14)": "run_action_extract_slots",
    "run actions (action server, NLG)": "_run_action",
    "save the tracker": "save_tracker",
}


def profile(servers: Servers, workdir: Path, args: argparse.Namespace, cpu_ms: float) -> None:
    """Lotse's Rasa once more, under cProfile counting CPU time (profiled_rasa), for a fixed
    number of conversations. Prints MessageProcessor's STAGES, the top functions of Rasa's and
    Lotse's code by cumulative time and of any code by own time, as shares of the profiled CPU
    and scaled to `cpu_ms`, the CPU per message measured without the profiler (cProfile makes
    every call several times slower)."""
    out = Path(args.profile_out) if args.profile_out else workdir / "rasa.prof"
    out.unlink(missing_ok=True)
    wrapper = workdir / "profiled-python"
    wrapper.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2" = "-m bot.runtime.server" ] || exec "$PY" "$@"\n'
        f'shift 2; exec "$PY" {Path(__file__).resolve()} --profiled-rasa {out} "$@"\n'
    )
    wrapper.chmod(0o755)
    url = servers.start_rasa(
        model_path(),
        name="rasa-profiled",
        stores={"BOT_PY": str(wrapper), "PY": sys.executable},
    )
    process = servers.processes[-1]
    os.kill(process.pid, signal.SIGUSR1)
    step = asyncio.run(
        run_step(
            url,
            args.profile_rate,
            duration=None,
            conversations=args.profile_conversations,
            think=(args.think_min, args.think_max),
            reply_timeout=args.timeout,
        )
    )
    os.kill(process.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)  # dump_stats may still be writing
    process.stop()
    servers.processes.remove(process)
    messages = step.messages
    print(
        f"\nProfile: {step.conversations} conversations, {messages} messages at "
        f"{args.profile_rate:.0f}/min (load average {load_average()}); CPU ms per message, "
        "Rasa's and Lotse's functions:"
    )
    stats = pstats.Stats(str(out))
    total = sum(value[2] for value in stats.stats.values())  # type: ignore[attr-defined]
    print(
        f"  profiled CPU {total / messages * 1000:.1f} ms per message; the share columns scale "
        f"to the {cpu_ms:.1f} ms measured without the profiler"
    )
    processor = {
        key[2]: value[3]
        for key, value in stats.stats.items()  # type: ignore[attr-defined]
        if key[0].endswith("rasa/core/processor.py")
    }
    # Patch 18's _run_action runs the actions that only read the tracker itself and hands the
    # others to Rasa's: the stage is its time where it is installed.
    patched_run_action = [
        value[3]
        for key, value in stats.stats.items()  # type: ignore[attr-defined]
        if key[0].endswith("bot/runtime/patches.py") and key[2] == "_run_action"
    ]
    if patched_run_action:
        processor["_run_action"] = patched_run_action[0]
    print("  stages of rasa.core.processor.MessageProcessor:")
    for stage, function in STAGES.items():
        seconds = processor.get(function, 0.0)
        print(
            f"  {seconds / messages * 1000:9.2f} ms {seconds / total:6.1%} "
            f"{seconds / total * cpu_ms:6.2f} ms  {stage} ({function})"
        )
    for title, column, count in (("cumulative", 3, 20), ("own time", 2, 10)):
        print(f"  top {count} by {title}:   profiled   share   scaled")
        rows = [
            (key, value[column])
            for key, value in stats.stats.items()  # type: ignore[attr-defined]
            if column == 2 or "/rasa/" in key[0] or f"{ROOT}/bot/" in key[0]
        ]
        for (filename, line, function), seconds in sorted(rows, key=lambda r: -r[1])[:count]:
            where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            print(
                f"  {seconds / messages * 1000:9.2f} ms {seconds / total:6.1%} "
                f"{seconds / total * cpu_ms:6.2f} ms  {function}  ({where}:{line})"
            )


def profiled_rasa(out: str) -> None:
    """The Rasa command line with cProfile (per-thread CPU clock) from SIGUSR1 until SIGUSR2,
    which writes the profile to `out`: start-up stays out of it. The event loop's thread is
    profiled whole; the worker threads that run NLU (bot/runtime/patches.py) inside their NLU
    calls, each with a profiler of its own, merged at the end."""
    from bot.runtime import patches, server

    patches.install()  # again in server.main(): a no-op
    from rasa.core.processor import MessageProcessor

    loop_profiler = cProfile.Profile(time.thread_time)
    nlu_profilers: list[cProfile.Profile] = []
    local = threading.local()
    active = threading.Event()
    parse = MessageProcessor._parse_message_with_graph

    def parse_profiled(*args: Any, **kwargs: Any) -> Any:
        if not active.is_set():
            return parse(*args, **kwargs)
        if not hasattr(local, "profiler"):
            local.profiler = cProfile.Profile(time.thread_time)
            nlu_profilers.append(local.profiler)
        return local.profiler.runcall(parse, *args, **kwargs)

    def start(*_: object) -> None:
        active.set()
        loop_profiler.enable()

    def stop(*_: object) -> None:
        loop_profiler.disable()
        active.clear()
        stats = pstats.Stats(loop_profiler)
        for profiler in nlu_profilers:
            stats.add(profiler)
        stats.dump_stats(out)

    MessageProcessor._parse_message_with_graph = parse_profiled  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    server.main()


def tracker_size(tracker_db: Path) -> str:
    """What the tracker store keeps per conversation after the sweep (the scaling estimate needs
    it)."""
    with sqlite3.connect(tracker_db) as db:
        conversations, events, size, user_messages = db.execute(
            "SELECT COUNT(DISTINCT sender_id), COUNT(*), COALESCE(SUM(LENGTH(data)), 0), "
            "SUM(type_name = 'user') FROM events"
        ).fetchone()
    if not conversations:
        return "tracker store: empty"
    return (
        f"tracker store: {conversations} conversations, {events / conversations:.0f} events "
        f"({events / max(user_messages, 1):.1f} per client message), "
        f"{size / conversations / 1024:.1f} KB of event JSON per conversation, "
        f"{size / max(user_messages, 1) / 1024:.2f} KB per client message"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rates", default="120,240,480,720,960", help="Lotse's conversations/min, ascending"
    )
    parser.add_argument("--plain-rates", default="120,480,960,1920,3840")
    parser.add_argument("--duration", type=float, default=20.0, help="arrival window per step, s")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="per message, s")
    parser.add_argument("--stop-p95", type=float, default=2000.0, help="stop a sweep above, ms")
    parser.add_argument("--profile-conversations", type=int, default=40)
    parser.add_argument("--profile-rate", type=float, default=120.0)
    parser.add_argument("--channel", choices=("rest", "socketio"), default="rest")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profile-out", help="keep the cProfile file here (pstats format)")
    return parser.parse_args()


def main() -> int:
    if sys.argv[1:2] == ["--profiled-rasa"]:
        out = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        profiled_rasa(out)
        return 0
    args = parse_args()
    os.environ["RASA_TELEMETRY_ENABLED"] = "false"
    print(
        f"{args.channel}, open loop, Poisson arrivals, {len(FLOWS)} flows of {MEAN_FLOW:.1f} "
        "messages on average, "
        f"think time {args.think_min:g}-{args.think_max:g} s, {args.duration:g} s per step, "
        f"{os.cpu_count()} CPUs, load average {load_average()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        servers = Servers(workdir)
        try:
            plain_model = train_plain(workdir)
            servers.start_api()
            servers.start_actions()
            lotse_url = servers.start_rasa(model_path())
            lotse_pid = servers.processes[-1].pid
            plain_url, plain_pid = start_plain(
                servers, plain_model, patched=args.channel == "socketio"
            )
            rates = [float(r) for r in args.rates.split(",")]
            lotse, lotse_cpu = sweep("Lotse", lotse_url, lotse_pid, rates, args)
            print(tracker_size(Path(servers.tracker_url.removeprefix("sqlite:///"))))
            plain_rates = [float(r) for r in args.plain_rates.split(",")]
            plain, plain_cpu = sweep("plain Rasa", plain_url, plain_pid, plain_rates, args)
            (best_lotse, _), (best_plain, bound) = capacity(lotse), capacity(plain)
            ratio = best_lotse / best_plain if best_plain else float("nan")
            print(
                f"\nHeadline: highest rate with p95 < {P95_LIMIT_MS:.0f} ms: "
                f"{headline('Lotse', lotse)}, {headline('plain Rasa', plain)}, "
                f"ratio {'<=' if bound else ''}{ratio:.2f}"
            )
            print(
                f"Rasa CPU per message: Lotse {lotse_cpu:.1f} ms, plain {plain_cpu:.1f} ms, "
                f"ratio {lotse_cpu / plain_cpu:.1f}x (target <= 2x); "
                f"load average {load_average()}"
            )
            if not args.no_profile:
                profile(servers, workdir, args, lotse_cpu)
        finally:
            servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
