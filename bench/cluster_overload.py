"""The kiosk under chat overload, through the cluster (issue 11, part 3): conversations arrive over
REST at a rate past the chat's capacity (default 1,440 per minute, twice the 720 one Rasa instance
served with p95 < 500 ms in `make bench-capacity`) while a kiosk checks clients in through the same
proxy at a steady rate. Prints the check-ins' p50/p95/p99 and statuses (target: p95 < 300 ms) and
the chat's: replies, busy answers, the slowest reply (target: every message answered or told "busy"
within 2 s). A benchmark: it prints figures.

`make run-cluster`'s processes on a throwaway PostgreSQL and Redis (bench/soak.py starts them); the
kiosk API's per-address rate limit is raised for the run, as every check-in comes from this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

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


async def both(url: str, args: argparse.Namespace) -> tuple[Step, list[float], dict[int, int]]:
    until = time.perf_counter() + args.duration
    chat, (latencies, statuses) = await asyncio.gather(
        run_step(
            url,
            args.chat_rate,
            duration=args.duration,
            think=(args.think_min, args.think_max),
            reply_timeout=args.timeout,
        ),
        check_ins(url, args.checkins_per_second, until),
    )
    return chat, latencies, statuses


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chat-rate", type=float, default=1440.0, help="conversations/min")
    parser.add_argument("--checkins-per-second", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=60.0, help="arrival window, s")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="per chat message, s")
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
            f"the cluster's proxy; {os.cpu_count()} CPUs, load average {load_average()}",
            flush=True,
        )
        chat, latencies, statuses = asyncio.run(both(f"http://127.0.0.1:{cluster.port}", args))
        print(
            f"check-ins: {len(latencies)}, statuses {dict(sorted(statuses.items()))}; "
            f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} "
            f"ms, p99 {percentile(latencies, 0.99):.0f} ms (target p95 < 300 ms)"
        )
        slowest = max(chat.latencies_ms, default=float("nan"))
        print(
            f"chat: {chat.conversations} conversations, {chat.messages} messages; answered "
            f"{len(chat.latencies_ms)} (busy {chat.busy}, silent {chat.silent}), errors "
            f"{chat.errors}, timeouts {chat.timeouts}; p50 {chat.percentile(0.5):.0f} ms, p95 "
            f"{chat.percentile(0.95):.0f} ms, slowest {slowest:.0f} ms (target: all within "
            f"2,000 ms); load average {load_average()}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
