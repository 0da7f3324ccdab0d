"""A sliding-window limiter per bucket and key, held in this process."""

from __future__ import annotations

import threading
import time
from collections import deque

from kiosk_api.errors import TooManyRequests


class SlidingWindowLimiter:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str, *, limit: int, window_seconds: float = 60.0) -> None:
        """Counts one request; raises 429 with Retry-After once `limit` is reached within the
        window."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault((bucket, key), deque())
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) >= limit:
                retry_after = max(1, int(hits[0] + window_seconds - now) + 1)
                raise TooManyRequests(
                    details={"retry_after_seconds": retry_after},
                    headers={"Retry-After": str(retry_after)},
                )
            hits.append(now)
            if len(self._hits) > 50_000:
                self._evict(now, window_seconds)

    def _evict(self, now: float, window_seconds: float) -> None:
        for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - window_seconds]:
            del self._hits[k]

    def check(self, bucket: str, key: str, *, limit: int, window_seconds: float = 60.0) -> None:
        """Raises 429 if `limit` hits are already within the window, without counting this one."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get((bucket, key))
            if hits is None:
                return
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) >= limit:
                retry_after = max(1, int(hits[0] + window_seconds - now) + 1)
                raise TooManyRequests(
                    details={"retry_after_seconds": retry_after},
                    headers={"Retry-After": str(retry_after)},
                )

    def add(self, bucket: str, key: str) -> None:
        with self._lock:
            self._hits.setdefault((bucket, key), deque()).append(time.monotonic())

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


limiter = SlidingWindowLimiter()
