"""Kiosk API throughput and latency under a real load generator (wrk), against bare FastAPI in the
same run (`make bench-api-wrk`).

One uvicorn worker on SQLite, seeded as bench/api_bench.py seeds (a site, 200 records, 60 of them
checked in: the desk's queue). wrk drives each path with 16 connections (2 threads) for a fixed
time; a Lua script picks the figures (requests/s, p50/p95/p99, errors). Besides the curves it
prints:
  /health vs bare FastAPI's /health   (target: within 1.5x in requests/s)
  check-in and queue read as ratios to bare FastAPI
  the desk's queue read of 60 tickets, one request at a time: p50 and the size (target <= 5 ms)
The machine's load average is printed with the figures: absolute timings are noisy here, ratios
measured in the same run are not."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_bench import Seed, seed, seeded_env, serve  # noqa: E402

from tests.support.ports import free_port  # noqa: E402
from tests.support.processes import uvicorn_server  # noqa: E402

HEALTH_TARGET = 1.5
QUEUE_READ_TARGET_MS = 5.0
# Prints one JSON line with the figures when wrk is done (latencies in microseconds).
REPORT_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %d, "p95": %d, "p99": %d, "non2xx": %d, '
    .. '"socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors.status, errors.connect + errors.read + errors.write
      + errors.timeout))
end
"""


def lua_get(headers: dict[str, str]) -> str:
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    return "\n".join(lines) + REPORT_LUA


def lua_reference_check_ins(records: list[tuple[str, str]]) -> str:
    """Every request checks in the next record (the first round issues tickets, later rounds find
    the day's ticket again), as the kiosk does."""
    table = ",".join(f'{{"{code}","{pin}"}}' for code, pin in records)
    return (
        f"local records = {{{table}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #records + 1\n"
        "  local r = records[i]\n"
        "  -- headers given to wrk.format replace wrk.headers: the content type goes here too\n"
        '  local headers = {["X-Lotse-Pin"] = r[2], ["Content-Type"] = "application/json"}\n'
        '  return wrk.format("POST", "/api/v1/checkins", headers,\n'
        "    '{\"reference_code\": \"' .. r[1] .. '\"}')\n"
        "end\n" + REPORT_LUA
    )


def run_wrk(url: str, script: str, scratch: Path, *, seconds: int, connections: int) -> dict:
    path = scratch / "script.lua"
    path.write_text(script, encoding="utf-8")
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(path),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["per_second"] = figures["requests"] / figures["seconds"]
    return figures


def queue_read(base: str, seed_data: Seed, reads: int) -> tuple[float, int, int]:
    """p50 of one queue read at a time, in ms; the body's size and its ticket count."""
    timings = []
    with httpx.Client(base_url=base, timeout=30, headers=seed_data.staff_headers) as http:
        for _ in range(reads):
            started = time.perf_counter()
            response = http.get("/api/v1/staff/queue")
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return statistics.median(timings), len(response.content), len(response.json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="time per path")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--queue", type=int, default=60)
    parser.add_argument(
        "--sites", type=int, default=50, help="sites in the database, each with its own queue"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing (make bench-api-wrk installs it from Debian)")

    with tempfile.TemporaryDirectory(prefix="lotse-wrk-") as tmp:
        scratch = Path(tmp)
        run = lambda url, script: run_wrk(  # noqa: E731
            url, script, scratch, seconds=args.seconds, connections=args.connections
        )
        figures: dict[str, dict] = {}
        with uvicorn_server(
            "bare_fastapi:app",
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            port=free_port(),
            log_dir=scratch,
            name="bare-fastapi",
            extra_args=("--app-dir", str(ROOT / "bench")),
        ) as bare:
            run(f"{bare}/health", REPORT_LUA)  # warm-up
            figures["bare FastAPI /health"] = run(f"{bare}/health", REPORT_LUA)

        # the measured desk works at one site among many, each with a queue as long as its own
        more_sites = ("--extra-sites", str(args.sites - 1), "--queue-per-site", str(args.queue))
        env = seeded_env(f"sqlite:///{scratch / 'bench.db'}", scratch, *more_sites)
        with serve(env, 1, scratch) as base:
            seed_data = seed(base, args.records, args.queue)
            queue_ms, queue_bytes, tickets = queue_read(base, seed_data, reads=200)
            run(f"{base}/health", REPORT_LUA)  # warm-up
            figures["kiosk API /health"] = run(f"{base}/health", REPORT_LUA)
            figures["desk queue read"] = run(
                f"{base}/api/v1/staff/queue", lua_get(seed_data.staff_headers)
            )
            figures["reference check-in"] = run(base, lua_reference_check_ins(seed_data.records))

    print(
        f"wrk, {args.connections} connections, {args.seconds} s per path, "
        f"one uvicorn worker, SQLite, {args.sites} sites with {args.queue} waiting each"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    print(f"{'path':24} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, row in figures.items():
        errors = row["non2xx"] + row["socket_errors"]
        print(
            f"{name:24} {row['per_second']:8.0f} {row['p50'] / 1000:8.2f} {row['p95'] / 1000:8.2f} "
            f"{row['p99'] / 1000:8.2f} {errors:7d}"
        )
    floor = figures["bare FastAPI /health"]["per_second"]
    health = floor / figures["kiosk API /health"]["per_second"]
    verdict = "ok" if health <= HEALTH_TARGET else "over target"
    print(
        f"\n/health: bare FastAPI serves {health:.2f}x the kiosk API's "
        f"(target <= {HEALTH_TARGET}x, {verdict})"
    )
    for name in ("desk queue read", "reference check-in"):
        print(
            f"{name}: bare FastAPI /health serves "
            f"{floor / figures[name]['per_second']:.1f}x as many requests/s"
        )
    verdict = "ok" if queue_ms <= QUEUE_READ_TARGET_MS else "over target"
    print(
        f"desk queue read, one at a time: {tickets} tickets, {queue_bytes / 1024:.0f} KB, p50 "
        f"{queue_ms:.1f} ms (target <= {QUEUE_READ_TARGET_MS:.0f} ms, {verdict})"
    )
    failed = sum(row["non2xx"] + row["socket_errors"] for row in figures.values())
    if failed:
        sys.exit(f"{failed} requests failed")


if __name__ == "__main__":
    main()
