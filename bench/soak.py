"""Soak of the cluster (issue 11, `make bench-soak`): N conversations (default 10,000) through
`make run-cluster` (HAProxy, 2 kiosk API, 2 action servers, 2 Rasa on PostgreSQL and Redis), with
bench/capacity.py's open-loop load generator and flows over REST.

The resident memory of every process is sampled after a warm-up and at the end: the growth of each,
and whether it stays within ±10 %; PostgreSQL's memory outside its shared buffers also every
`--sample-every` conversations, with how many processes it has. Printed with the replies'
p50/p95/p99, errors, busy answers, the load average, and the tracker store's size per
conversation. A benchmark, not a
test: it prints figures and fails only when the cluster does not start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from capacity import MEAN_FLOW, Step, load_average, run_step  # noqa: E402

from tests.support.cluster import throwaway_cluster  # noqa: E402
from tests.support.stores import Postgres, Redis  # noqa: E402

PARTS = ("haproxy", "kiosk-1", "kiosk-2", "actions-1", "actions-2", "rasa-1", "rasa-2")
STABLE_PERCENT = 10.0
PG_PRIVATE = "postgresql (resident outside shared memory, all processes)"
# A cache of a size fixed at start (shared_buffers), filling as the tracker store grows: shown, not
# judged; PostgreSQL's own growth shows in what its processes hold outside it.
PG_SHARED = "postgresql (shared memory)"
# The backends alive from the warm-up to the end, judged together like any other process: the sum
# over all processes also grows when a pool opens another connection, bounded by the pools' sizes.
PG_KEPT = "postgresql (outside shared memory, processes alive throughout)"
NOT_JUDGED = {
    "postgresql (PSS, all processes)": "cache, not judged",
    PG_SHARED: "cache, not judged",
    PG_PRIVATE: "more backends, not judged",
}


def memory_kb(pid: int, field: str) -> int:
    """VmRSS from /proc/<pid>/status, or Pss from smaps_rollup (shared pages split between the
    processes that map them: PostgreSQL's shared buffers are in every backend's RSS)."""
    if field == "Pss":
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    else:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class Sample:
    rss_mb: dict[str, float]
    load: str
    # PostgreSQL's processes (postmaster, backends, its own workers): pid -> kB resident outside
    # the shared memory.
    pg_private_kb: dict[int, int]


def sample(folder: Path, postgres: Postgres, redis: Redis) -> Sample:
    rss: dict[str, float] = {}
    for part in PARTS:
        pid = int((folder / f"{part}.pid").read_text())
        rss[part] = memory_kb(pid, "VmRSS") / 1024
    if redis.process is not None:
        rss["redis"] = memory_kb(redis.process.pid, "VmRSS") / 1024
    postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    group = [postmaster, *children(postmaster)]
    rss["postgresql (PSS, all processes)"] = sum(memory_kb(pid, "Pss") for pid in group) / 1024
    private, shared = zip(*(memory_by_mapping(pid) for pid in group), strict=True)
    rss[PG_PRIVATE] = sum(private) / 1024
    rss[PG_SHARED] = sum(shared) / 1024
    return Sample(rss, load_average(), dict(zip(group, private, strict=True)))


def postgres_line(done: int, now: Sample, first: Sample) -> str:
    """PostgreSQL's private memory as the soak goes on: how many processes, their sum, and the
    processes alive since the warm-up on their own (a backend's caches fill, then stay)."""
    kept = [pid for pid in first.pg_private_kb if pid in now.pg_private_kb]
    before = sum(first.pg_private_kb[pid] for pid in kept) / 1024
    after = sum(now.pg_private_kb[pid] for pid in kept) / 1024
    growth = (after - before) / before * 100 if before else float("nan")
    largest = max(now.pg_private_kb, key=lambda pid: now.pg_private_kb[pid])
    return (
        f"{done:>6} {len(now.pg_private_kb):>10} {now.rss_mb[PG_PRIVATE]:>9.1f} "
        f"{len(kept):>12} {after:>9.1f} {growth:+8.1f}% {now.pg_private_kb[largest] / 1024:>8.1f}"
        f"  {process_title(largest)}"
    )


def process_title(pid: int) -> str:
    """What a PostgreSQL process is doing, as it names itself ("postgres: checkpointer")."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return "(ended)"


def memory_by_mapping(pid: int) -> tuple[int, int]:
    """The kB resident in this process's private mappings (heap, stacks: where a leak shows; pages
    it still shares copy-on-write with the postmaster count in full, so the figure does not move
    when another backend starts or ends, as a Pss or Private_* figure does), and its Pss of the
    shared ones (PostgreSQL's shared memory: the buffer cache, fixed in size at start)."""
    private = shared = 0
    shared_mapping = False
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:  # a backend that ended between listing and reading
        return 0, 0
    for line in lines:
        fields = line.split()
        if len(fields) >= 5 and "-" in fields[0] and len(fields[1]) == 4:
            shared_mapping = fields[1][3] == "s"
        elif fields and fields[0] == "Pss:" and shared_mapping:
            shared += int(fields[1])
        elif fields and fields[0] == "Rss:" and not shared_mapping:
            private += int(fields[1])
    return private, shared


def report(step: Step, seconds: float, label: str) -> None:
    print(
        f"{label}: {step.conversations} conversations, {step.messages} messages in {seconds:.0f} s "
        f"({step.messages / seconds:.1f}/s); p50 {step.percentile(0.5):.0f} ms, "
        f"p95 {step.percentile(0.95):.0f} ms, p99 {step.percentile(0.99):.0f} ms; "
        f"errors {step.errors}, timeouts {step.timeouts}, busy {step.busy}, silent {step.silent}; "
        f"load average {load_average()}",
        flush=True,
    )


def tracker_database(folder: Path) -> Any:
    """A connection to the cluster's tracker store database."""
    import psycopg2

    settings = dict(line.split("=", 1) for line in (folder / "databases.env").read_text().split())
    url = settings["LOTSE_TRACKER_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    return psycopg2.connect(url)


def shared_buffers(folder: Path) -> str:
    connection = tracker_database(folder)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            return str(cursor.fetchone()[0])
    finally:
        connection.close()


def tracker_size(folder: Path) -> str:
    connection = tracker_database(folder)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(DISTINCT sender_id), COUNT(*), COALESCE(SUM(LENGTH(data)), 0), "
                "SUM(CASE WHEN type_name = 'user' THEN 1 ELSE 0 END), "
                "pg_total_relation_size('events') FROM events"
            )
            conversations, events, size, user_messages, on_disk = cursor.fetchone()
    finally:
        connection.close()
    conversations = max(conversations, 1)
    return (
        f"tracker store: {conversations} conversations, {events / conversations:.1f} events and "
        f"{size / conversations / 1024:.1f} KB of event JSON per conversation "
        f"({size / max(user_messages, 1) / 1024:.2f} KB per client message); the events table "
        f"with its indexes {on_disk / conversations / 1024:.1f} KB per conversation on disk"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument(
        "--warm-up", type=int, default=500, help="conversations before the first memory sample"
    )
    parser.add_argument(
        "--rate", type=float, default=300.0, help="conversations arriving per minute"
    )
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="per message, s")
    parser.add_argument(
        "--sample-every", type=int, default=1000, help="conversations between memory samples"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    warm_up = min(args.warm_up, args.conversations // 2)
    print(
        f"Soak: {args.conversations} conversations through the cluster (REST, open loop, "
        f"{args.rate:g}/min, ~{MEAN_FLOW:.1f} messages each, think time "
        f"{args.think_min:g}-{args.think_max:g} s), memory sampled after {warm_up}; "
        f"{os.cpu_count()} CPUs, load average {load_average()}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="lotse-soak.") as tmp,
        throwaway_cluster(Path(tmp)) as cluster,
    ):
        url = f"http://127.0.0.1:{cluster.port}"
        think = (args.think_min, args.think_max)

        def load(conversations: int, label: str) -> None:
            started = time.perf_counter()
            step = asyncio.run(
                run_step(
                    url,
                    args.rate,
                    duration=None,
                    conversations=conversations,
                    think=think,
                    reply_timeout=args.timeout,
                )
            )
            report(step, time.perf_counter() - started, label)

        load(warm_up, "warm-up")
        samples = [sample(cluster.folder, cluster.postgres, cluster.redis)]
        curve = [postgres_line(warm_up, samples[0], samples[0])]
        done = warm_up
        while done < args.conversations:
            part = min(args.sample_every, args.conversations - done)
            load(part, f"soak {done + 1}-{done + part}")
            done += part
            samples.append(sample(cluster.folder, cluster.postgres, cluster.redis))
            curve.append(postgres_line(done, samples[-1], samples[0]))
        first, last = samples[0], samples[-1]
        print(
            "\nPostgreSQL's memory outside its shared memory (MB resident in private mappings) "
            "as the soak went on:"
        )
        columns = ("after", 6), ("processes", 10), ("all", 9), ("since warm", 12), ("theirs", 9)
        print(
            " ".join(f"{name:>{width}}" for name, width in columns),
            f"{'growth':>9} {'largest':>8}  (which)",
        )
        print("\n".join(curve))
        print(
            f"\nresident memory (MB) after {warm_up} conversations and at the end, and the lowest "
            f"and highest growth over the {len(samples)} samples from the warm-up on:"
        )
        header = f"{'process':38} {'warm':>8} {'end':>8} {'growth':>8} {'lowest':>8} {'highest':>8}"
        print(f"{header}  within ±{STABLE_PERCENT:g} % throughout")
        kept = [pid for pid in first.pg_private_kb if pid in last.pg_private_kb]
        series = {name: [x.rss_mb[name] for x in samples] for name in first.rss_mb}
        series[PG_KEPT] = [sum(x.pg_private_kb.get(pid, 0) for pid in kept) / 1024 for x in samples]
        stable = True
        for name, values in series.items():
            growths = [
                (v - values[0]) / values[0] * 100 if values[0] else float("nan") for v in values
            ]
            within = all(abs(g) <= STABLE_PERCENT for g in growths)
            not_judged = NOT_JUDGED.get(name)
            stable &= within or not_judged is not None
            verdict = ("yes" if within else "NO") if not_judged is None else f"({not_judged})"
            print(
                f"{name:38} {values[0]:8.1f} {values[-1]:8.1f} {growths[-1]:+7.1f}% "
                f"{min(growths):+7.1f}% {max(growths):+7.1f}%  {verdict}"
            )
        print(
            f"PostgreSQL's processes: {len(first.pg_private_kb)} after the warm-up, "
            f"{len(last.pg_private_kb)} at the end, {len(kept)} of them alive throughout (the "
            "connection pools open backends as concurrency needs them, up to their size)"
        )
        print(f"PostgreSQL's shared_buffers: {shared_buffers(cluster.folder)}")
        print(f"every process within ±{STABLE_PERCENT:g} % throughout: {'yes' if stable else 'no'}")
        print(f"load average after warm-up {first.load}, at the end {last.load}")
        print(tracker_size(cluster.folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
