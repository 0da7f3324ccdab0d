"""The limiter's parts one by one: the client address behind proxies, windows and growing
lockouts in this process (tests/security runs them against servers, and on Redis)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from ipaddress import ip_network

import pytest
from starlette.requests import Request

from kiosk_api.config import get_settings
from kiosk_api.deps import client_address
from kiosk_api.errors import TooManyRequests
from kiosk_api.ratelimit import LocalBackend, limiter, lockout_length


@pytest.fixture
def trusted_proxies() -> Iterator[None]:
    settings = get_settings()
    saved = settings.trusted_proxies
    settings.trusted_proxies = (ip_network("10.0.0.0/8"), ip_network("fd00::/64"))
    try:
        yield
    finally:
        settings.trusted_proxies = saved


def request_from(peer: str, *forwarded_for: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded_for]
    return Request({"type": "http", "headers": headers, "client": (peer, 50000)})


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address(request_from("10.0.0.5", "203.0.113.7")) == "10.0.0.5"


@pytest.mark.usefixtures("trusted_proxies")
@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # an untrusted peer's header is ignored
        ("203.0.113.9", ("198.51.100.1",), "203.0.113.9"),
        # the right-most address that is none of our proxies; left entries are the client's word
        ("10.0.0.5", ("198.51.100.1, 203.0.113.7",), "203.0.113.7"),
        ("10.0.0.5", ("203.0.113.7, 10.0.0.9",), "203.0.113.7"),
        # several header lines count as one list, in order
        ("10.0.0.5", ("198.51.100.1", "203.0.113.7"), "203.0.113.7"),
        ("fd00::1", ("2001:db8::0:7",), "2001:db8::7"),
        ("::ffff:10.0.0.5", ("203.0.113.7",), "203.0.113.7"),
        # malformed or missing: the proxy's own bucket, never an address the client chose
        ("10.0.0.5", ("198.51.100.1, not-an-address",), "10.0.0.5"),
        ("10.0.0.5", ("203.0.113.7:4711",), "10.0.0.5"),
        ("10.0.0.5", ("",), "10.0.0.5"),
        ("10.0.0.5", (), "10.0.0.5"),
        # every hop one of ours: the client is inside the trusted network
        ("10.0.0.5", ("10.1.2.3, 10.0.0.9",), "10.1.2.3"),
    ],
)
def test_behind_a_trusted_proxy_the_forwarded_client_counts(
    peer: str, forwarded_for: tuple[str, ...], client: str
) -> None:
    assert client_address(request_from(peer, *forwarded_for)) == client


def test_settings_refuse_bad_proxies_and_redis_urls() -> None:
    from pydantic import ValidationError

    from kiosk_api.config import Settings

    assert Settings(trusted_proxies="10.0.0.5, fd00::/64").trusted_proxies == (
        ip_network("10.0.0.5/32"),
        ip_network("fd00::/64"),
    )
    with pytest.raises(ValidationError):
        Settings(trusted_proxies="10.0.0.300")
    with pytest.raises(ValidationError):
        Settings(redis_url="http://cache:6379/0")
    assert Settings(redis_url="rediss://cache:6380/0").redis_url == "rediss://cache:6380/0"


def test_check_does_not_count_and_add_counts_without_checking() -> None:
    for _ in range(3):
        limiter.check("unit", "key", limit=2)
    limiter.add("unit", "key")
    limiter.hit("unit", "key", limit=2)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("unit", "key", limit=2)
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60


def test_lockouts_double_up_to_the_cap() -> None:
    lengths = [lockout_length(n, first_seconds=60, max_seconds=240) for n in range(1, 6)]
    assert lengths == [60, 120, 240, 240, 240]


def test_local_lockouts_grow_and_a_success_forgives() -> None:
    backend = LocalBackend()

    def fail() -> float:
        return backend.fail(
            "login",
            "user",
            limit=2,
            window_seconds=60,
            lockout_seconds=0.05,
            max_lockout_seconds=10,
        )

    assert fail() == 0
    assert fail() == 0.05
    assert 0 < backend.locked_for("login", "user") <= 0.05
    time.sleep(0.06)
    assert backend.locked_for("login", "user") == 0
    assert (fail(), fail()) == (0, 0.1)
    assert backend.locked_for("other", "user") == 0
    backend.forgive("login", "user")
    assert backend.locked_for("login", "user") == 0
    assert (fail(), fail()) == (0, 0.05)
