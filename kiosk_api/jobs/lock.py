"""One holder per job across every worker and instance: a PostgreSQL advisory lock, or a file
lock beside SQLite."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock, derived from the job's name."""
    return int.from_bytes(
        hashlib.sha256(f"lotse-job:{name}".encode()).digest()[:8], "big", signed=True
    )


def sqlite_lock_path(engine: Engine, name: str) -> Path:
    database = make_url(str(engine.url)).database or "lotse.db"
    return Path(f"{database}.job-{name}.lock")


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True to the one caller that holds `name` now, False to every other; never waits."""
    if engine.dialect.name == "postgresql":
        # Autocommit: the lock lives on the connection, so no transaction stays open while the job
        # runs.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            key = _advisory_key(name)
            held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
            try:
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        return
    path = sqlite_lock_path(engine, name)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
