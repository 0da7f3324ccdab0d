"""Sliding-window rate limits and growing lockouts per bucket and key.

Held in this process, or in Redis when LOTSE_REDIS_URL is set, so that every worker and instance
shares them. An unreachable Redis refuses the request (503) rather than letting it pass unlimited.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import redis

from kiosk_api.config import get_settings
from kiosk_api.errors import LotseError, TooManyRequests

log = logging.getLogger("lotse.ratelimit")

# `add` without a window keeps its entries this long; `check` trims by its own window.
ADD_RETENTION_SECONDS = 24 * 60 * 60
REDIS_PREFIX = "lotse:ratelimit:"
REDIS_TIMEOUT_SECONDS = 1.0


class LimiterUnreachable(LotseError):
    """The shared limiter's Redis does not answer: nothing passes unlimited."""

    status_code = 503
    code = "rate_limiter_unreachable"


class LockedOut(TooManyRequests):
    code = "too_many_attempts"
    keep_changes = True  # the refusal stays in the audit trail


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def too_many(seconds: float, error: type[TooManyRequests] = TooManyRequests) -> TooManyRequests:
    wait = retry_after(seconds)
    return error(details={"retry_after_seconds": wait}, headers={"Retry-After": str(wait)})


class Backend(Protocol):
    def admit(
        self, bucket: str, key: str, *, limit: int, window_seconds: float, count: bool
    ) -> float:
        """Seconds until the window has room (0: admitted, and counted when `count`)."""

    def add(self, bucket: str, key: str, *, window_seconds: float) -> None: ...

    def fail(
        self,
        bucket: str,
        key: str,
        *,
        limit: int,
        window_seconds: float,
        lockout_seconds: float,
        max_lockout_seconds: float,
    ) -> float:
        """Counts a failure; the length of the lockout it started, or 0."""

    def locked_for(self, bucket: str, key: str) -> float: ...

    def forgive(self, bucket: str, key: str) -> None: ...

    def reset(self) -> None: ...


def lockout_length(lockouts: int, *, first_seconds: float, max_seconds: float) -> float:
    """The `lockouts`-th lockout in a row: the first one's length doubled each time, capped."""
    return min(first_seconds * 2 ** min(lockouts - 1, 40), max_seconds)


@dataclass
class _Lockout:
    lockouts: int
    until: float
    forget_at: float


class LocalBackend:
    """This process only: each uvicorn worker counts on its own."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lockouts: dict[tuple[str, str], _Lockout] = {}
        self._lock = threading.Lock()

    def _window(self, bucket: str, key: str, now: float, window_seconds: float) -> deque[float]:
        hits = self._hits.setdefault((bucket, key), deque())
        while hits and hits[0] <= now - window_seconds:
            hits.popleft()
        return hits

    def admit(
        self, bucket: str, key: str, *, limit: int, window_seconds: float, count: bool
    ) -> float:
        now = time.monotonic()
        with self._lock:
            hits = self._window(bucket, key, now, window_seconds)
            if len(hits) >= limit:
                return hits[0] + window_seconds - now if hits else window_seconds
            if count:
                hits.append(now)
                if len(self._hits) > 50_000:
                    self._evict(now, window_seconds)
            elif not hits:
                del self._hits[(bucket, key)]
            return 0.0

    def _evict(self, now: float, window_seconds: float) -> None:
        for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - window_seconds]:
            del self._hits[k]
        for k in [k for k, v in self._lockouts.items() if v.forget_at <= now]:
            del self._lockouts[k]

    def add(self, bucket: str, key: str, *, window_seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            self._window(bucket, key, now, window_seconds).append(now)

    def fail(
        self,
        bucket: str,
        key: str,
        *,
        limit: int,
        window_seconds: float,
        lockout_seconds: float,
        max_lockout_seconds: float,
    ) -> float:
        now = time.monotonic()
        with self._lock:
            hits = self._window(bucket, key, now, window_seconds)
            hits.append(now)
            if len(hits) < limit:
                return 0.0
            del self._hits[(bucket, key)]
            previous = self._lockouts.get((bucket, key))
            lockouts = previous.lockouts + 1 if previous and previous.forget_at > now else 1
            length = lockout_length(
                lockouts, first_seconds=lockout_seconds, max_seconds=max_lockout_seconds
            )
            # A run of lockouts is forgotten after a quiet period as long as the longest lockout.
            self._lockouts[(bucket, key)] = _Lockout(
                lockouts, now + length, now + length + max_lockout_seconds
            )
            return length

    def locked_for(self, bucket: str, key: str) -> float:
        with self._lock:
            lockout = self._lockouts.get((bucket, key))
            return max(0.0, lockout.until - time.monotonic()) if lockout else 0.0

    def forgive(self, bucket: str, key: str) -> None:
        with self._lock:
            self._hits.pop((bucket, key), None)
            self._lockouts.pop((bucket, key), None)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
            self._lockouts.clear()


# Redis keeps each window as a sorted set of hit times (milliseconds, from Redis's own clock so
# that every instance agrees) and each lockout run as a hash; every step is one atomic script.
_NOW_MS = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# KEYS[1] window; ARGV: limit, window ms, member, mode ('hit', 'check' or 'add').
_ADMIT = (
    _NOW_MS
    + """
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if ARGV[4] ~= 'add' and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #oldest == 0 then return window end
  return math.max(1, tonumber(oldest[2]) + window - now)
end
if ARGV[4] ~= 'check' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
"""
)

# KEYS[1] failures window, KEYS[2] lockout hash {lockouts, until};
# ARGV: limit, window ms, member, first lockout ms, longest lockout ms.
_FAIL = (
    _NOW_MS
    + """
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
local lockouts = redis.call('HINCRBY', KEYS[2], 'lockouts', 1)
local longest = tonumber(ARGV[5])
local length = math.floor(math.min(tonumber(ARGV[4]) * 2 ^ math.min(lockouts - 1, 40), longest))
redis.call('HSET', KEYS[2], 'until', now + length)
redis.call('PEXPIRE', KEYS[2], length + longest)
return math.max(1, length)
"""
)

# KEYS[1] lockout hash: milliseconds left.
_LOCKED_FOR = (
    _NOW_MS
    + """
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
return math.max(0, locked_until - now)
"""
)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisBackend:
    """Shared by every process using the same Redis; keys hold hashes, not usernames or
    addresses."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        self._admit = self._redis.register_script(_ADMIT)
        self._fail = self._redis.register_script(_FAIL)
        self._locked_for = self._redis.register_script(_LOCKED_FOR)

    @staticmethod
    def _key(kind: str, bucket: str, key: str) -> str:
        digest = hashlib.sha256(f"{bucket}\0{key}".encode()).hexdigest()[:32]
        return f"{REDIS_PREFIX}{kind}:{bucket}:{digest}"

    def _run(self, script: redis.commands.core.Script, keys: list[str], args: list[object]) -> int:
        try:
            return int(script(keys=keys, args=args))
        except redis.RedisError as error:
            log.error("rate limiter: Redis unreachable (%s)", type(error).__name__)
            raise LimiterUnreachable() from None

    def admit(
        self, bucket: str, key: str, *, limit: int, window_seconds: float, count: bool
    ) -> float:
        waited_ms = self._run(
            self._admit,
            [self._key("window", bucket, key)],
            [limit, _ms(window_seconds), secrets.token_hex(8), "hit" if count else "check"],
        )
        return waited_ms / 1000

    def add(self, bucket: str, key: str, *, window_seconds: float) -> None:
        self._run(
            self._admit,
            [self._key("window", bucket, key)],
            [0, _ms(window_seconds), secrets.token_hex(8), "add"],
        )

    def fail(
        self,
        bucket: str,
        key: str,
        *,
        limit: int,
        window_seconds: float,
        lockout_seconds: float,
        max_lockout_seconds: float,
    ) -> float:
        length_ms = self._run(
            self._fail,
            [self._key("window", bucket, key), self._key("lockout", bucket, key)],
            [
                limit,
                _ms(window_seconds),
                secrets.token_hex(8),
                _ms(lockout_seconds),
                _ms(max_lockout_seconds),
            ],
        )
        return length_ms / 1000

    def locked_for(self, bucket: str, key: str) -> float:
        return self._run(self._locked_for, [self._key("lockout", bucket, key)], []) / 1000

    def forgive(self, bucket: str, key: str) -> None:
        try:
            self._redis.delete(self._key("window", bucket, key), self._key("lockout", bucket, key))
        except redis.RedisError as error:
            log.error("rate limiter: Redis unreachable (%s)", type(error).__name__)
            raise LimiterUnreachable() from None

    def reset(self) -> None:
        """Forgets every window and lockout in this Redis (tests)."""
        for name in self._redis.scan_iter(match=f"{REDIS_PREFIX}*", count=500):
            self._redis.delete(name)


@lru_cache
def _redis_backend(url: str) -> RedisBackend:
    # Created on first use in each worker: connections are never shared across a fork.
    return RedisBackend(url)


class Limiter:
    """The limits every route uses; the backend follows the settings (Redis or this process)."""

    def __init__(self) -> None:
        self._local = LocalBackend()

    def backend(self) -> Backend:
        url = get_settings().redis_url
        return _redis_backend(url) if url else self._local

    def hit(self, bucket: str, key: str, *, limit: int, window_seconds: float = 60.0) -> None:
        """Counts one request; raises 429 with Retry-After once `limit` is reached within the
        window."""
        wait = self.backend().admit(
            bucket, key, limit=limit, window_seconds=window_seconds, count=True
        )
        if wait:
            raise too_many(wait)

    def check(self, bucket: str, key: str, *, limit: int, window_seconds: float = 60.0) -> None:
        """Raises 429 if `limit` hits are already within the window, without counting this one."""
        wait = self.backend().admit(
            bucket, key, limit=limit, window_seconds=window_seconds, count=False
        )
        if wait:
            raise too_many(wait)

    def add(self, bucket: str, key: str, *, window_seconds: float = ADD_RETENTION_SECONDS) -> None:
        """Counts one hit without checking; kept as long as the longest window that reads it."""
        self.backend().add(bucket, key, window_seconds=window_seconds)

    def fail(
        self,
        bucket: str,
        key: str,
        *,
        limit: int,
        window_seconds: float,
        lockout_seconds: float,
        max_lockout_seconds: float,
    ) -> float:
        """Counts a failure; `limit` of them within the window lock the key, each further lockout
        twice as long as the one before, up to `max_lockout_seconds`. The lockout's length, or 0."""
        return self.backend().fail(
            bucket,
            key,
            limit=limit,
            window_seconds=window_seconds,
            lockout_seconds=lockout_seconds,
            max_lockout_seconds=max_lockout_seconds,
        )

    def locked_for(self, bucket: str, key: str) -> float:
        """Seconds the key stays locked; 0 when it is not."""
        return self.backend().locked_for(bucket, key)

    def forgive(self, bucket: str, key: str) -> None:
        """Forgets the key's failures and lockouts (after a success)."""
        self.backend().forgive(bucket, key)

    def reset(self) -> None:
        self.backend().reset()


limiter = Limiter()
