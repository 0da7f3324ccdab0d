"""A read-only database and a full disk, for real, under a running kiosk API (SQLite and
PostgreSQL): a write gets 503 with the cause's code and one clear text in the client's language;
what was written before stays whole and readable; once the fault is gone writes work again.

* read-only: SQLite opened read-only (`mode=ro`); PostgreSQL with the database switched to
  `default_transaction_read_only`, as an operator or a failover to a standby does.
* full disk: a small tmpfs filled to its last byte; on SQLite the database lives there, on
  PostgreSQL the queue tickets' table is moved to a tablespace there. Mounting needs root."""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from kiosk_api.db import get_engine, session_scope
from kiosk_api.i18n import translate
from kiosk_api.models import QueueTicket
from tests.api.conftest import LiveServer

# Live servers in other processes must see the rows the tests write.
pytestmark = pytest.mark.commits

WALK_IN = {"walk_in": {"language": "ar", "concern": "documents", "interpreter_needed": False}}
# Check-ins until a filled disk must have refused one (a page of the table may still have room).
MAX_CHECKINS_ON_A_FULL_DISK = 300


def check_in(http: httpx.Client | TestClient, key: str, language: str = "ar") -> httpx.Response:
    return http.post(
        "/api/v1/checkins",
        json=WALK_IN,
        headers={"Idempotency-Key": key, "Accept-Language": language},
    )


def assert_refused(response: httpx.Response, code: str, language: str) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] == translate("error.storage_unavailable", language)
    assert error["message"] != translate("error.storage_unavailable", "en")


def tickets_in_database() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(QueueTicket.id))) or 0


def database_url() -> str:
    return os.environ["LOTSE_DATABASE_URL"]


def maintenance_connection_url() -> str:
    """The PostgreSQL server's `postgres` database: a database's settings are changed from
    outside it."""
    return make_url(database_url()).set(database="postgres").render_as_string(hide_password=False)


@contextmanager
def read_only_database() -> Iterator[dict[str, str]]:
    """The settings of a kiosk API that finds its database read-only."""
    url = make_url(database_url())
    if url.get_backend_name() == "sqlite":
        yield {"LOTSE_DATABASE_URL": f"sqlite:///file:{url.database}?mode=ro&uri=true"}
        return
    server = create_engine(maintenance_connection_url(), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(
                text(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
            )
        try:
            yield {}  # every new session of the database is read-only
        finally:
            with server.connect() as connection:
                connection.execute(
                    text(f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only')
                )
    finally:
        server.dispose()


def test_a_read_only_database_refuses_writes_clearly_and_keeps_what_was_written(
    client: TestClient, live_server: LiveServer
) -> None:
    before = check_in(client, "before-read-only")
    assert before.status_code == 201, before.text
    code = before.json()["ticket_code"]
    with read_only_database() as settings, live_server(workers=1, extra_env=settings) as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            read = http.get(f"/api/v1/tickets/{code}")
            assert read.status_code == 200, read.text
            assert read.json()["number"] == before.json()["number"]
            assert_refused(check_in(http, "during-read-only", "ar"), "database_read_only", "ar")
            assert_refused(check_in(http, "during-read-only", "uk"), "database_read_only", "uk")
    after = check_in(client, "after-read-only")
    assert after.status_code == 201, after.text
    assert after.json()["number"] == before.json()["number"] + 1
    assert client.get(f"/api/v1/tickets/{code}").json() == read.json()
    assert tickets_in_database() == 2


@contextmanager
def small_filesystem(size: str, owner: str = "root") -> Iterator[Path]:
    """A tmpfs of `size` under /tmp (other users may reach it), removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a small filesystem to fill, and mounting one root")
    folder = Path(tempfile.mkdtemp(prefix="lotse-disk."))
    folder.chmod(0o755)
    user = pwd.getpwnam(owner)
    options = f"size={size},mode=0700,uid={user.pw_uid},gid={user.pw_gid}"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)
        folder.rmdir()


@contextmanager
def filled(folder: Path) -> Iterator[None]:
    """Every byte of `folder`'s filesystem taken by one file, given back afterwards."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(descriptor, bytes(64 * 1024))
    except OSError as error:
        if error.errno != 28:  # ENOSPC: full, as wanted
            raise
        while True:  # the last partial block
            try:
                os.write(descriptor, bytes(512))
            except OSError:
                break
    finally:
        os.close(descriptor)
    try:
        yield
    finally:
        filler.unlink()


@contextmanager
def database_on(disk: Path) -> Iterator[dict[str, str]]:
    """The settings of a kiosk API whose data is on `disk`: a copy of the SQLite test database, or
    for PostgreSQL the queue tickets' table moved to a tablespace there (and back afterwards)."""
    url = make_url(database_url())
    if url.get_backend_name() == "sqlite":
        copy = disk / "kiosk.db"
        with sqlite3.connect(str(url.database)) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        yield {"LOTSE_DATABASE_URL": f"sqlite:///{copy}"}
        with sqlite3.connect(copy) as database:
            assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return
    engine = get_engine()
    get_engine().dispose()  # no connection of this process holds the table meanwhile
    server = create_engine(maintenance_connection_url(), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"CREATE TABLESPACE lotse_small LOCATION '{disk}'"))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ALTER TABLE queue_tickets SET TABLESPACE lotse_small"))
        try:
            yield {}
        finally:
            engine.dispose()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ALTER TABLE queue_tickets SET TABLESPACE pg_default"))
    finally:
        with server.connect() as connection:
            connection.execute(text("DROP TABLESPACE lotse_small"))
        server.dispose()


def on_local_postgres_server() -> bool:
    url = make_url(database_url())
    return url.get_backend_name() == "sqlite" or (
        url.host in ("127.0.0.1", "localhost") and shutil.which("runuser") is not None
    )


def test_a_full_disk_refuses_writes_clearly_and_keeps_what_was_written(
    live_server: LiveServer,
) -> None:
    if not on_local_postgres_server():
        pytest.skip("the tablespace on a small disk must be on the PostgreSQL server's machine")
    sqlite = make_url(database_url()).get_backend_name() == "sqlite"
    owner = "root" if sqlite else "postgres"
    with (
        small_filesystem("8m", owner) as disk,
        database_on(disk) as settings,
        live_server(workers=1, extra_env=settings) as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        before = check_in(http, "before-full-disk")
        assert before.status_code == 201, before.text
        code = before.json()["ticket_code"]
        accepted = [before.json()]
        with filled(disk):
            # The table's last page may still have room for a few: then the disk is full for it.
            for attempt in range(MAX_CHECKINS_ON_A_FULL_DISK):
                response = check_in(http, f"on-full-disk-{attempt}", "fa")
                if response.status_code != 201:
                    break
                accepted.append(response.json())
            assert_refused(response, "disk_full", "fa")
            # What was written is still there to read while the disk is full.
            read = http.get(f"/api/v1/tickets/{code}")
            assert read.status_code == 200, read.text
            assert read.json()["number"] == before.json()["number"]
        after = check_in(http, "after-full-disk")
        assert after.status_code == 201, after.text
        # No ticket half-made: the numbers go on from the last accepted one, every one readable.
        assert after.json()["number"] == accepted[-1]["number"] + 1
        for ticket in [*accepted, after.json()]:
            assert http.get(f"/api/v1/tickets/{ticket['ticket_code']}").status_code == 200
    if not sqlite:
        assert tickets_in_database() == len(accepted) + 1
