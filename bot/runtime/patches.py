"""Lotse's patches of Rasa internals: what they are and how many, bot/runtime/__init__.py.

Rasa answers every message on one event loop, so CPU spent there delays every other conversation; the
reasons were measured at 10 concurrent conversations (bot/README.md, "Latency"). Each patch is a
function that does nothing when its change is already in place; install() checks the Rasa version and
then applies them all. Rasa is imported only after the version check.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any

# The Rasa release the patches were written against and measured with: another one may have moved or
# changed what they replace, so the server refuses to start with it.
EXPECTED_RASA_VERSION = "3.6.21"

# Rasa's own functions, kept by the patch that replaces them; the patched functions fall back to them.
_RASA: dict[str, Callable[..., Any]] = {}


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the one the patches were written for."""


def installed_rasa_version() -> str:
    from rasa.version import __version__

    return __version__


def check_rasa_version(installed: str | None = None) -> None:
    """Raises UnsupportedRasaVersion unless `installed` (default: the Rasa this process imports) is the expected one."""
    installed = installed_rasa_version() if installed is None else installed
    if installed != EXPECTED_RASA_VERSION:
        raise UnsupportedRasaVersion(
            f"Rasa {installed} is installed, but Lotse's Rasa patches (bot/runtime/patches.py) were written for "
            f"Rasa {EXPECTED_RASA_VERSION}; not starting. Install rasa=={EXPECTED_RASA_VERSION} (make bot-install), "
            f"or check and re-measure every patch against Rasa {installed}, then change EXPECTED_RASA_VERSION."
        )


def rasa_original(name: str) -> Callable[..., Any]:
    """Rasa's own function that a patch replaced: "validate_action_result", "create_engine_kwargs" or "resolve_by_type"."""
    return _RASA[name]


# 1. Action server responses -------------------------------------------------------------------------

_response_validator: Any = None


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Rasa's check of an action server response, with the validator built once by validator_built_once()."""
    if _response_validator.is_valid(result):
        return True
    # Rasa's own check raises its own error (jsonschema.ValidationError, Rasa's message).
    return _RASA["validate_action_result"](self, result)


def validator_built_once() -> None:
    """jsonschema.validate() re-checks Rasa's response schema against the 2020-12 meta-schema on every call: 19 ms of CPU per custom action call, 0.3 ms with a validator built once."""
    global _response_validator
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    if RemoteAction._validate_action_result is _validate_action_result:
        return
    spec = RemoteAction.action_response_format_spec()
    validator_class = validator_for(spec)  # as jsonschema.validate() chooses it
    validator_class.check_schema(spec)
    _response_validator = validator_class(spec)
    _RASA["validate_action_result"] = RemoteAction._validate_action_result
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


# 2. SQLite tracker store: connection pool -----------------------------------------------------------


def _engine_kwargs(url: Any) -> dict[str, Any]:
    """Rasa's create_engine_kwargs, with a connection pool for an SQLite file."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        # PostgreSQL as Rasa has it; an in-memory database exists per connection, so no pool of them.
        return _RASA["create_engine_kwargs"](url)
    # The store is used from the event loop's thread only; the pool hands a connection to one user at a time.
    return {
        "poolclass": QueuePool,
        "pool_size": int(os.environ.get("SQL_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("SQL_MAX_OVERFLOW", "10")),
        "connect_args": {"check_same_thread": False},
    }


def sqlite_connection_pool() -> None:
    """SQLAlchemy 1.4 opens and closes a connection per query on an SQLite file, and closing the last one checkpoints the WAL with an fsync: without the pool WAL (patch 3) is slower, with it 13 ms -> 0.5 ms per commit."""
    from rasa.core import tracker_store

    if tracker_store.create_engine_kwargs is _engine_kwargs:
        return
    _RASA["create_engine_kwargs"] = tracker_store.create_engine_kwargs
    tracker_store.create_engine_kwargs = _engine_kwargs


# 3. SQLite: WAL, no fsync per commit ----------------------------------------------------------------


def _sqlite_wal_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def sqlite_wal() -> None:
    """A commit in SQLite's rollback journal waits for fsyncs: 13 ms on this disk, 0.5 ms with WAL, synchronous=NORMAL and patch 2's pool (an OS crash, not a Rasa crash, may lose the last messages; the file stays consistent)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_wal_pragmas):
        event.listen(Engine, "connect", _sqlite_wal_pragmas)


# 4. Event classes by type name ----------------------------------------------------------------------

_event_classes: dict[str, type[Any]] = {}


def _resolve_by_type(type_name: str, default: type[Any] | None = None) -> type[Any] | None:
    """Rasa's Event.resolve_by_type from a table; a name not in it goes to Rasa's own lookup."""
    found = _event_classes.get(type_name)
    return found if found is not None else _RASA["resolve_by_type"](type_name, default)


def event_class_table() -> None:
    """Rasa walks all Event subclasses (23) to find the class of each stored event it loads: 0.12 ms per event on this machine under test load, a table lookup well under 1 µs."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    if Event.resolve_by_type is _resolve_by_type:
        return
    for cls in all_subclasses(Event):
        _event_classes.setdefault(cls.type_name, cls)  # the first match, as Rasa's own lookup
    _RASA["resolve_by_type"] = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


PATCHES: tuple[Callable[[], None], ...] = (validator_built_once, sqlite_connection_pool, sqlite_wal, event_class_table)


def install() -> None:
    """Refuses a Rasa other than EXPECTED_RASA_VERSION (UnsupportedRasaVersion), then applies every patch; again is a no-op."""
    check_rasa_version()
    for patch in PATCHES:
        patch()
