"""The kiosk under chat overload, through the cluster (issue 11, part 3): conversations arrive over
REST at a rate past the chat's capacity (default 1,440 per minute, twice the 720 one Rasa instance
served with p95 < 500 ms in `make bench-capacity`) while a kiosk checks clients in through the same
proxy at a steady rate. Prints the check-ins' p50/p95/p99 and statuses (target: p95 < 300 ms) and
the chat's: replies, busy answers, the slowest reply (target: every message answered or told "busy"
within 2 s). A benchmark: it prints figures.

`make run-cluster`'s processes on a throwaway PostgreSQL and Redis (bench/soak.py starts them); the
kiosk API's per-address rate limit is raised for the run, as every check-in comes from this machine.
The check-ins come from a process of their own at normal priority; the chat's clients (phones, on
other machines in life) from this one at `--chat-nice`. A REST message the proxy refuses (503,
"busy", scripts/cluster_proxy.sh) counts as answered with the busy message.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import aiohttp
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from capacity import Step, load_average, run_step  # noqa: E402

from tests.support.cluster import throwaway_cluster  # noqa: E402

WALK_IN = {"walk_in": {"language": "ar", "concern": "documents", "interpreter_needed": False}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def check_ins(
    url: str, per_second: float, until: float
) -> tuple[list[float], dict[int, int]]:
    """A kiosk's check-ins at a steady rate until `until`: latencies (ms) and status counts."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(http: aiohttp.ClientSession) -> None:
        started = time.perf_counter()
        try:
            async with http.post(
                f"{url}/api/v1/checkins",
                json=WALK_IN,
                headers={"Idempotency-Key": uuid.uuid4().hex},
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response:
                await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError):
            status = 0
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    tasks: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        next_at = time.perf_counter()
        while next_at < until:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            tasks.append(asyncio.create_task(one(http)))
            next_at += 1 / per_second
        await asyncio.gather(*tasks)
    return latencies, statuses


def proxy_figures(folder: Path) -> str:
    """What the proxy saw (scripts/cluster_proxy.sh): per backend the most requests in progress at
    once (smax), the most waiting in its queue (qmax), its 5xx answers, and its average times over
    the last 1,024 requests (queue, server's response, total; ms), free of the load generators'
    own delays."""
    port = (folder / "stats.port").read_text().strip()
    table = requests.get(f"http://127.0.0.1:{port}/stats;csv", timeout=10).text
    rows = csv.DictReader(io.StringIO(table.lstrip("# ")))
    return "; ".join(
        f"{row['pxname']} smax {row['smax']} qmax {row['qmax']} 5xx {row['hrsp_5xx']}, "
        f"average queue {row['qtime']} ms, response {row['rtime']} ms, total {row['ttime']} ms"
        for row in rows
        if row["svname"] == "BACKEND" and row["pxname"] in ("kiosk", "rasa")
    )


def check_ins_for(
    url: str, per_second: float, seconds: float
) -> tuple[list[float], dict[int, int]]:
    """check_ins() in a process of its own (at the kiosk's normal priority): the chat's load
    generator next to it neither delays its requests nor its clock."""
    return asyncio.run(check_ins(url, per_second, time.perf_counter() + seconds))


def both(url: str, args: argparse.Namespace) -> tuple[Step, list[float], dict[int, int]]:
    """The check-ins in a child process at normal priority; the chat's clients here, at
    `--chat-nice` (phones elsewhere: on this machine their generator must not count as the
    kiosk's competitor for the cores)."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        kiosk = pool.submit(check_ins_for, url, args.checkins_per_second, args.duration)
        os.nice(args.chat_nice)
        chat = asyncio.run(
            run_step(
                url,
                args.chat_rate,
                duration=args.duration,
                think=(args.think_min, args.think_max),
                reply_timeout=args.timeout,
            )
        )
        latencies, statuses = kiosk.result()
    return chat, latencies, statuses


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chat-rate", type=float, default=1440.0, help="conversations/min")
    parser.add_argument("--checkins-per-second", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=60.0, help="arrival window, s")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="per chat message, s")
    parser.add_argument(
        "--chat-nice", type=int, default=10, help="the chat load generator's nice increment"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    os.environ["LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE"] = "100000"
    with (
        tempfile.TemporaryDirectory(prefix="lotse-overload.") as tmp,
        throwaway_cluster(Path(tmp)) as cluster,
    ):
        print(
            f"chat {args.chat_rate:g} conversations/min over REST and "
            f"{args.checkins_per_second:g} kiosk check-ins/s for {args.duration:g} s, through "
            f"the cluster's proxy (chat clients at nice +{args.chat_nice}, check-ins at 0); "
            f"{os.cpu_count()} CPUs, load average {load_average()}",
            flush=True,
        )
        chat, latencies, statuses = both(f"http://127.0.0.1:{cluster.port}", args)
        print(
            f"check-ins: {len(latencies)}, statuses {dict(sorted(statuses.items()))}; "
            f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} "
            f"ms, p99 {percentile(latencies, 0.99):.0f} ms (target p95 < 300 ms)"
        )
        slowest = max(chat.latencies_ms, default=float("nan"))
        print(
            f"chat: {chat.conversations} conversations, {chat.messages} messages; answered "
            f"{len(chat.latencies_ms)} (busy {chat.busy}, of which refused by the proxy "
            f"{chat.refused}; silent {chat.silent}), errors "
            f"{chat.errors}, timeouts {chat.timeouts}; p50 {chat.percentile(0.5):.0f} ms, p95 "
            f"{chat.percentile(0.95):.0f} ms, slowest {slowest:.0f} ms (target: all within "
            f"2,000 ms); load average {load_average()}"
        )
        refused = chat.refused_ms
        served = sorted(chat.latencies_ms)
        for ms in refused:
            served.remove(ms)
        print(
            f"chat answered by Rasa: {len(served)}, p50 {percentile(served, 0.5):.0f} ms, p95 "
            f"{percentile(served, 0.95):.0f} ms, slowest {max(served, default=float('nan')):.0f} "
            f"ms; refused by the proxy: {len(refused)}, p50 {percentile(refused, 0.5):.0f} ms, "
            f"slowest {max(refused, default=float('nan')):.0f} ms"
        )
        print(f"proxy: {proxy_figures(cluster.folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
