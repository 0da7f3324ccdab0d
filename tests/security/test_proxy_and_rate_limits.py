"""Gap 5 (rate limits behind a proxy) and growing staff-login lockouts (gap 6), against real kiosk
API processes: forwarded addresses count only from a trusted proxy, each client behind it has its
own bucket, lockouts double and also count per address, and workers share limits through Redis.

The Redis tests need LOTSE_TEST_REDIS_URL (./scripts/with_redis.sh, as `make test-security` runs
them); by hand without it they skip, under make (LOTSE_TEST_REDIS_REQUIRED=1) they fail."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.processes import ROOT, uvicorn_server

STAFF_PASSWORD = "a-long-staff-password-for-limits"
BOT_TOKEN = "limits-tests-bot-token-0123456789abcdef"
PUBLIC_LIMIT = 5
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


@dataclass(frozen=True)
class Api:
    urls: list[str]
    database: Path

    @property
    def url(self) -> str:
        return self.urls[0]

    def audit_actions(self, action: str) -> int:
        with sqlite3.connect(self.database) as connection:
            (count,) = connection.execute(
                "SELECT count(*) FROM audit_events WHERE action = ?", (action,)
            ).fetchone()
        return int(count)


@contextmanager
def kiosk_api(settings: dict[str, str], *, processes: int = 1) -> Iterator[Api]:
    """Seeded staff `chief` (admin) and `desk`, then `processes` uvicorn processes on one
    database with these LOTSE_* settings."""
    with tempfile.TemporaryDirectory(prefix="lotse-limits-") as folder:
        database = Path(folder) / "limits.db"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("LOTSE_REDIS_URL", "LOTSE_TRUSTED_PROXIES", "LOTSE_RASA_URL")
        }
        env.update(
            {
                "LOTSE_DATABASE_URL": f"sqlite:///{database}",
                "LOTSE_ENVIRONMENT": "test",
                "LOTSE_NOTIFICATION_DISPATCHER": "false",
                "LOTSE_PURGE_INTERVAL_MINUTES": "0",
                "LOTSE_BOT_TOKEN": BOT_TOKEN,
                "LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE": str(PUBLIC_LIMIT),
                "LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE": "1000",
                **settings,
            }
        )
        subprocess.run(
            [sys.executable, "-m", "tests.support.seeding"]
            + [
                "--staff",
                f"chief:admin:{STAFF_PASSWORD}",
                "--staff",
                f"desk:desk:{STAFF_PASSWORD}",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with ExitStack() as servers:
            urls = [
                servers.enter_context(
                    uvicorn_server(
                        "kiosk_api.main:app",
                        env=env,
                        port=free_port(),
                        log_dir=Path(folder),
                        name=f"kiosk-api-{number}",
                        # as `lotse serve`: uvicorn's own forwarded-header handling off
                        extra_args=("--timeout-graceful-shutdown", "1"),
                    )
                )
                for number in range(processes)
            ]
            yield Api(urls, database)


def services(base: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.get(f"{base}/api/v1/services", headers=headers, timeout=30)


def login(
    base: str, username: str, password: str, forwarded_for: str | None = None
) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.post(
        f"{base}/api/v1/staff/login",
        json={"username": username, "password": password},
        headers=headers,
        timeout=30,
    )


def code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def redis_url() -> str:
    url = os.environ.get("LOTSE_TEST_REDIS_URL")
    if url:
        return url
    why = "needs LOTSE_TEST_REDIS_URL: run under ./scripts/with_redis.sh (make test-security does)"
    if os.environ.get("LOTSE_TEST_REDIS_REQUIRED") == "1":
        pytest.fail(why)
    pytest.skip(why)


def forget_limits(url: str) -> None:
    import redis

    from kiosk_api.ratelimit import REDIS_PREFIX

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{REDIS_PREFIX}*"):
        client.delete(key)
    client.close()


# --- behind a proxy ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxied() -> Iterator[Api]:
    """127.0.0.1 is the trusted TLS proxy; 10 logins a minute per address, lockouts after 3
    failures per user and address or 8 per address, the first for 2 s."""
    with kiosk_api(
        {
            "LOTSE_TRUSTED_PROXIES": "127.0.0.1,::1",
            "LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE": "10",
            "LOTSE_LOGIN_MAX_FAILURES": "3",
            "LOTSE_LOGIN_MAX_FAILURES_PER_ADDRESS": "8",
            "LOTSE_LOGIN_LOCKOUT_SECONDS": "2",
        }
    ) as api:
        yield api


def test_an_invented_forwarded_address_does_not_escape_the_bucket() -> None:
    # A proxy is configured, but this peer (127.0.0.1) is not it: its X-Forwarded-For is noise.
    with kiosk_api({"LOTSE_TRUSTED_PROXIES": "192.0.2.1"}) as api:
        answers = [services(api.url, f"10.9.8.{n}") for n in range(PUBLIC_LIMIT + 2)]
    assert [a.status_code for a in answers[:PUBLIC_LIMIT]] == [200] * PUBLIC_LIMIT
    assert {a.status_code for a in answers[PUBLIC_LIMIT:]} == {429}
    assert code(answers[-1]) == "rate_limited"


def test_clients_behind_the_trusted_proxy_have_buckets_of_their_own(proxied: Api) -> None:
    # Ten wrong logins a minute: the attacker's own bucket is full and the user locked for them.
    wrong = [login(proxied.url, "chief", f"guess {n}", ATTACKER) for n in range(10)]
    assert {r.status_code for r in wrong[:3]} == {401}
    assert 429 in {r.status_code for r in wrong[3:]} <= {401, 429}
    # Inventing an address in front of the proxy's entry does not help: the proxy's entry counts.
    disguised = login(proxied.url, "chief", STAFF_PASSWORD, f"{COLLEAGUE}, {ATTACKER}")
    assert disguised.status_code == 429
    colleague = login(proxied.url, "chief", STAFF_PASSWORD, COLLEAGUE)
    assert colleague.status_code == 200, colleague.text

    public = [services(proxied.url, "192.0.2.50") for _ in range(PUBLIC_LIMIT + 1)]
    assert [r.status_code for r in public] == [200] * PUBLIC_LIMIT + [429]
    assert services(proxied.url, "192.0.2.51").status_code == 200


def test_lockouts_grow_with_each_further_lockout(proxied: Api) -> None:
    address = "203.0.113.30"
    refusals_before = proxied.audit_actions("staff.login_locked")
    first = [login(proxied.url, "desk", "wrong", address) for _ in range(3)]
    assert {r.status_code for r in first} == {401}
    # Locked: even the right password is refused without being checked.
    locked = login(proxied.url, "desk", STAFF_PASSWORD, address)
    assert locked.status_code == 429 and code(locked) == "too_many_attempts"
    first_wait = int(locked.headers["Retry-After"])
    assert locked.json()["error"]["details"]["retry_after_seconds"] == first_wait

    time.sleep(first_wait + 0.2)
    second = [login(proxied.url, "desk", "wrong", address) for _ in range(3)]
    assert {r.status_code for r in second} == {401}
    relocked = login(proxied.url, "desk", STAFF_PASSWORD, address)
    assert relocked.status_code == 429
    second_wait = int(relocked.headers["Retry-After"])
    assert second_wait > first_wait
    assert proxied.audit_actions("staff.login_locked") == refusals_before + 2

    time.sleep(second_wait + 0.2)
    assert login(proxied.url, "desk", STAFF_PASSWORD, address).status_code == 200


def test_failures_count_per_address_across_usernames(proxied: Api) -> None:
    address = "203.0.113.40"
    # One guess per username stays below the per-user limit; together they lock the address.
    sprayed = [login(proxied.url, f"user{n}", "password1", address) for n in range(8)]
    assert {r.status_code for r in sprayed} == {401}
    refused = login(proxied.url, "chief", STAFF_PASSWORD, address)
    assert refused.status_code == 429 and code(refused) == "too_many_attempts"
    assert login(proxied.url, "chief", STAFF_PASSWORD, "203.0.113.41").status_code == 200


def test_honest_use_under_the_limits_passes(proxied: Api) -> None:
    address = "198.51.100.60"
    assert all(services(proxied.url, address).status_code == 200 for _ in range(PUBLIC_LIMIT - 1))
    # Two typos, then the right password: the counter starts again after the success.
    for _ in range(2):
        assert login(proxied.url, "desk", "typo", address).status_code == 401
    assert login(proxied.url, "desk", STAFF_PASSWORD, address).status_code == 200
    for _ in range(2):
        assert login(proxied.url, "desk", "typo", address).status_code == 401
    token = login(proxied.url, "desk", STAFF_PASSWORD, address)
    assert token.status_code == 200, token.text


# --- shared by several processes -----------------------------------------------------------------


def test_two_processes_sharing_redis_share_the_limits() -> None:
    url = redis_url()
    forget_limits(url)
    settings = {
        "LOTSE_REDIS_URL": url,
        "LOTSE_LOGIN_MAX_FAILURES": "3",
        "LOTSE_LOGIN_LOCKOUT_SECONDS": "60",
    }
    with kiosk_api(settings, processes=2) as api:
        first, second = api.urls
        spread = [services(api.urls[n % 2]) for n in range(PUBLIC_LIMIT)]
        assert [r.status_code for r in spread] == [200] * PUBLIC_LIMIT
        assert services(first).status_code == 429
        assert services(second).status_code == 429

        guesses = [login(api.urls[n % 2], "desk", "wrong") for n in range(3)]
        assert {r.status_code for r in guesses} == {401}
        for base in (first, second):
            refused = login(base, "desk", STAFF_PASSWORD)
            assert refused.status_code == 429 and code(refused) == "too_many_attempts"
    forget_limits(url)


def test_an_unreachable_redis_refuses_instead_of_dropping_the_limit() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with kiosk_api({"LOTSE_REDIS_URL": dead}) as api:
        public = services(api.url)
        staff = login(api.url, "desk", STAFF_PASSWORD)
    assert public.status_code == 503 and code(public) == "rate_limiter_unreachable"
    assert public.json()["error"]["message"] != "error.rate_limiter_unreachable"
    assert staff.status_code == 503 and code(staff) == "rate_limiter_unreachable"


def test_redis_lockouts_grow_and_a_success_forgives() -> None:
    from kiosk_api.ratelimit import RedisBackend

    url = redis_url()
    forget_limits(url)
    backend = RedisBackend(url)

    def fail() -> float:
        return backend.fail(
            "login", "user", limit=2, window_seconds=60, lockout_seconds=0.2, max_lockout_seconds=10
        )

    assert (fail(), fail()) == (0, 0.2)
    assert 0 < backend.locked_for("login", "user") <= 0.2
    time.sleep(0.25)
    assert backend.locked_for("login", "user") == 0
    assert (fail(), fail()) == (0, 0.4)
    backend.forgive("login", "user")
    assert backend.locked_for("login", "user") == 0
    assert (fail(), fail()) == (0, 0.2)
    forget_limits(url)
