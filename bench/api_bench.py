"""Kiosk API throughput and latency on SQLite and PostgreSQL, against a bare endpoint on the same server.

Run by `make bench` (inside ./scripts/with_postgres.sh, which sets LOTSE_TEST_POSTGRES_URL). For
each backend and worker count it starts a real uvicorn on loopback, seeds a site with slots,
records and a desk login, then drives each path with N concurrent clients for a fixed time and
prints requests/s and p50/p95 latency, and the ratio check-in p95 / bare p95 (target: within 3x)."""  # noqa: E501

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.databases import fresh_postgres_database  # noqa: E402  (one toolkit for tests and bench)
from tests.support.ports import free_port  # noqa: E402
from tests.support.processes import uvicorn_server  # noqa: E402

SEED = [sys.executable, "-m", "tests.support.seeding"]
ADMIN_PASSWORD = "bench-admin-password-0123456789"
BENCH_DATABASE = "lotse_bench"
TARGET_RATIO = 3.0

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass
class Result:
    backend: str
    workers: int
    path: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def server_env(database_url: str, scratch: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "LOTSE_ENVIRONMENT": "development",
        "LOTSE_DATABASE_URL": database_url,
        "LOTSE_TRACKER_DATABASE_URL": f"sqlite:///{scratch / 'tracker.db'}",
        "LOTSE_SECRET_KEY": "bench-secret-key-with-enough-length-0123456789",
        "LOTSE_BOT_TOKEN": "bench-bot-token-with-enough-length-0123456789",
        "LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE": "10000000",
        "LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE": "1000",
        "LOTSE_LOG_LEVEL": "warning",
        "LOTSE_PORT": str(port),
    }


@contextmanager
def serve(env: dict[str, str], workers: int, log_dir: Path) -> Iterator[str]:
    """The real app plus the bare comparison endpoint (bench/bare_app.py), in one uvicorn."""
    with uvicorn_server(
        "bare_app:app",
        env={**env, "PYTHONPATH": str(ROOT)},
        port=int(env["LOTSE_PORT"]),
        log_dir=log_dir,
        name=f"bench-w{workers}",
        workers=workers,
        extra_args=("--app-dir", str(ROOT / "bench")),
        health_path="/bench/bare",
    ) as base:
        yield base


@dataclass
class Seed:
    staff_headers: dict[str, str]
    records: list[tuple[str, str]]  # reference code, PIN


def seed(base: str, records: int, queue: int) -> Seed:
    """Records for reference-code check-ins; the first `queue` of them checked in, so the desk
    reads a realistic queue."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as http:
        version = http.get("/consent/notice", params={"language": "ar"}).json()["version"]
        made = []
        for index in range(records):
            receipt = http.post(
                "/consents", json={"language": "ar", "notice_version": version, "channel": "kiosk"}
            ).json()
            http.patch(
                f"/intakes/{receipt['reference_code']}",
                headers={"X-Lotse-Pin": receipt["pin"]},
                json={
                    "residence_status": "permit_25_1" if index % 2 else "duldung",
                    "concern": "first_registration",
                    "concern_text": "Ich möchte mich anmelden",
                    "submit": True,
                },
            ).raise_for_status()
            made.append((receipt["reference_code"], receipt["pin"]))
            if index < queue:
                http.post(
                    "/checkins",
                    headers={"X-Lotse-Pin": receipt["pin"]},
                    json={"reference_code": receipt["reference_code"]},
                ).raise_for_status()
        login = http.post("/staff/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        login.raise_for_status()
        return Seed({"Authorization": f"Bearer {login.json()['access_token']}"}, made)


def paths(seed_data: Seed) -> dict[str, Request]:
    record = itertools.cycle(seed_data.records)

    async def bare(http: httpx.AsyncClient, _: int) -> httpx.Response:
        return await http.get("/bench/bare")

    async def walk_in(http: httpx.AsyncClient, _: int) -> httpx.Response:
        return await http.post(
            "/api/v1/checkins", json={"walk_in": {"language": "uk", "concern": "documents"}}
        )

    async def reference_check_in(http: httpx.AsyncClient, _: int) -> httpx.Response:
        code, pin = next(
            record
        )  # the first round issues tickets, later rounds find the day's ticket again
        return await http.post(
            "/api/v1/checkins", headers={"X-Lotse-Pin": pin}, json={"reference_code": code}
        )

    async def slots(http: httpx.AsyncClient, i: int) -> httpx.Response:
        return await http.get(
            "/api/v1/slots",
            params={"service": "integration_point"} if i % 2 else {"language": "ar"},
        )

    async def queue(http: httpx.AsyncClient, _: int) -> httpx.Response:
        return await http.get("/api/v1/staff/queue", headers=seed_data.staff_headers)

    # The queue is read before the check-in runs add hundreds of tickets, so it holds the seeded
    # day's arrivals.
    return {
        "bare": bare,
        "staff_queue": queue,
        "slots": slots,
        "checkin_reference": reference_check_in,
        "checkin_walk_in": walk_in,
    }


async def drive(
    base: str, request: Request, *, clients: int, seconds: float, max_requests: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + seconds

    async def client_loop(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            index = next(counter)
            if index >= max_requests:
                return
            sent = time.perf_counter()
            try:
                response = await request(http, index)
                ok = response.status_code < 400
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - sent)
            errors += not ok

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await asyncio.gather(*(client_loop(http) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000
        if ordered
        else float("nan")
    )


def fresh_database(backend: str, scratch: Path, run: str) -> str:
    """An empty database per run, so every run starts from the same day."""
    if backend == "sqlite":
        return f"sqlite:///{scratch / f'bench-{run}.db'}"
    return fresh_postgres_database(os.environ["LOTSE_TEST_POSTGRES_URL"], BENCH_DATABASE)


def seeded_env(database_url: str, scratch: Path, *more: str) -> dict[str, str]:
    """The server's environment on a database migrated and seeded: a site, slots, an admin (and
    what `more` asks tests.support.seeding for, e.g. more sites)."""
    env = server_env(database_url, scratch, free_port())
    subprocess.run(
        [*SEED, "--slot-days", "14", "--staff", f"admin:admin:{ADMIN_PASSWORD}", *more],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


def run_backend(name: str, scratch: Path, args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    for workers in args.workers:
        env = seeded_env(fresh_database(name, scratch, f"w{workers}"), scratch)
        with serve(env, workers, scratch) as base:
            seed_data = seed(base, args.records, args.queue)
            queue_size = len(
                httpx.get(
                    f"{base}/api/v1/staff/queue", headers=seed_data.staff_headers, timeout=60
                ).json()
            )
            print(
                f"{name:10} w={workers} (staff queue reads see {queue_size} open tickets)",
                flush=True,
            )
            for path, request in paths(seed_data).items():
                asyncio.run(
                    drive(
                        base,
                        request,
                        clients=args.clients,
                        seconds=min(1.0, args.seconds),
                        max_requests=200,
                    )
                )  # warm-up
                latencies, errors, elapsed = asyncio.run(
                    drive(
                        base,
                        request,
                        clients=args.clients,
                        seconds=args.seconds,
                        max_requests=args.max_requests,
                    )
                )
                result = Result(
                    name,
                    workers,
                    path,
                    len(latencies),
                    errors,
                    elapsed,
                    percentile(latencies, 0.5),
                    percentile(latencies, 0.95),
                )
                results.append(result)
                print(
                    f"{name:10} w={workers} {path:18} {result.per_second:8.1f} req/s  p50 "
                    f"{result.p50_ms:7.1f} ms  p95 {result.p95_ms:7.1f} ms  errors {errors}",
                    flush=True,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients per path")
    parser.add_argument("--seconds", type=float, default=5.0, help="time per path")
    parser.add_argument("--max-requests", type=int, default=20_000, help="upper bound per path")
    parser.add_argument(
        "--records", type=int, default=200, help="intake records for reference-code check-ins"
    )
    parser.add_argument(
        "--queue",
        type=int,
        default=60,
        help="of those, checked in before the run (the desk's queue)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="lotse-bench-") as tmp:
        scratch = Path(tmp)
        for backend in args.backends:
            if backend == "postgresql" and not os.environ.get("LOTSE_TEST_POSTGRES_URL"):
                print(
                    "postgresql: skipped, LOTSE_TEST_POSTGRES_URL is not set (run through "
                    "./scripts/with_postgres.sh)"
                )
                continue
            results += run_backend(backend, scratch, args)

    print(f"\ncheck-in p95 / bare p95 (target within {TARGET_RATIO:.0f}x):")
    for (backend, workers), group in itertools.groupby(
        results, key=lambda r: (r.backend, r.workers)
    ):
        by_path = {r.path: r for r in group}
        bare = by_path["bare"].p95_ms
        for path in ("checkin_walk_in", "checkin_reference"):
            ratio = by_path[path].p95_ms / bare
            verdict = "ok" if ratio <= TARGET_RATIO else "over target"
            print(f"  {backend:10} w={workers} {path:18} {ratio:5.2f}x  ({verdict})")
    if args.json:
        args.json.write_text(
            json.dumps([{**r.__dict__, "per_second": r.per_second} for r in results], indent=2)
        )
    total_errors = sum(r.errors for r in results)
    if total_errors:
        print(f"\n{total_errors} requests failed", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
