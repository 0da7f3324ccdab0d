"""Many HTTP clients released at the same instant, for races on one slot or one record."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx


def all_at_once(
    count: int, call: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """Runs `call(client, index)` in `count` threads that start together behind a barrier."""
    barrier = threading.Barrier(count)

    def worker(index: int) -> httpx.Response:
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            return call(http, index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))
