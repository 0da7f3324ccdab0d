"""Fixtures for the translation tests: tiny argostranslate packages, a database, no network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kiosk_api.config import get_settings
from kiosk_api.db import build_engine
from tests.support.databases import drop_postgres_database, fresh_database, migrate
from tests.translation.argos_builder import build_argos_package
from tests.translation.lexicons import AR_DE, DE_AR, EN_DE, FA_EN

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Translation must work offline: any connection or name lookup beyond loopback fails the test.

    Attempts are refused and also recorded, so one swallowed by an except clause still fails.
    """
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address):  # type: ignore[no-untyped-def]
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
            attempts.append(f"connect {address!r}")
            raise OSError(f"network access during a translation test: {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host is not None and host not in _LOOPBACK:
            attempts.append(f"lookup {host!r}")
            raise OSError(f"name lookup during a translation test: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert attempts == [], "translation tried to reach the network"


@pytest.fixture(scope="session")
def argos_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test packages as .argosmodel files, built once per test run."""
    out = tmp_path_factory.mktemp("argosmodels")
    return {
        "ar_de": build_argos_package(out / "ar_de", from_code="ar", to_code="de", lexicon=AR_DE),
        "de_ar": build_argos_package(out / "de_ar", from_code="de", to_code="ar", lexicon=DE_AR),
        "fa_en": build_argos_package(out / "fa_en", from_code="fa", to_code="en", lexicon=FA_EN),
        "en_de": build_argos_package(out / "en_de", from_code="en", to_code="de", lexicon=EN_DE),
        "ar_de_v2": build_argos_package(
            out / "ar_de_v2",
            from_code="ar",
            to_code="de",
            lexicon={**AR_DE, "شكرا": "Dankeschön"},
            package_version="1.1",
        ),
    }


@pytest.fixture
def packages_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty package directory of its own, set as LOTSE_ARGOS_PACKAGES_DIR."""
    directory = tmp_path / "argos-packages"
    monkeypatch.setenv("LOTSE_ARGOS_PACKAGES_DIR", str(directory))
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def engine(
    database_backend: str, postgres_server_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An empty database of its own (`--db`), migrated with the real Alembic migrations."""
    name = "lotse_test_translation"
    engine = build_engine(
        fresh_database(
            database_backend,
            folder=tmp_path_factory.mktemp("db"),
            name=name,
            postgres_server_url=postgres_server_url,
        )
    )
    migrate(engine)
    yield engine
    engine.dispose()
    if postgres_server_url:
        drop_postgres_database(postgres_server_url, name)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
