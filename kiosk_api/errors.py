"""Domain errors carry their HTTP status and a stable code; one handler renders them."""

from __future__ import annotations

from typing import Any


class LotseError(Exception):
    status_code = 400
    code = "bad_request"
    # Changes made before the error are committed (e.g. a failed-attempt counter), not rolled back.
    keep_changes = False

    def __init__(
        self,
        code: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code or self.code
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.code)

    @property
    def message_key(self) -> str:
        return f"error.{self.code}"


class NotFound(LotseError):
    status_code = 404
    code = "not_found"


class Unauthorized(LotseError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(LotseError):
    status_code = 403
    code = "forbidden"


class Conflict(LotseError):
    status_code = 409
    code = "conflict"


class Gone(LotseError):
    status_code = 410
    code = "gone"


class PayloadTooLarge(LotseError):
    status_code = 413
    code = "payload_too_large"


class InvalidInput(LotseError):
    """A semantically impossible value (born in the future, unknown language) in a well-formed
    payload."""

    status_code = 422
    code = "invalid_input"


class TooManyRequests(LotseError):
    status_code = 429
    code = "rate_limited"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the error statuses a route can return."""
    return {
        status: {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}}
        for status in statuses
    }


class StorageUnavailable(LotseError):
    """The database cannot be used right now: unreachable (restarting), read-only, or its disk is
    full. Nothing of the request was kept; the client may send it again later."""

    status_code = 503
    code = "database_unavailable"

    @property
    def message_key(self) -> str:
        # One text for every cause: the client can only wait or ask at the desk.
        return "error.storage_unavailable"


# SQLite result codes (sqlite3 exceptions carry them) and PostgreSQL SQLSTATEs per cause.
_SQLITE_CODES = {8: "database_read_only", 13: "disk_full", 14: "database_unavailable"}
_POSTGRES_STATES = {"25006": "database_read_only", "53100": "disk_full"}
# Connection exceptions, server shutting down or starting, out of resources.
_POSTGRES_UNAVAILABLE_CLASSES = ("08", "57P", "53")


def storage_failure(error: BaseException) -> StorageUnavailable | None:
    """The StorageUnavailable a database driver's error stands for, or None for another error (a
    bug, a constraint): an error of SQLAlchemy, sqlite3 or psycopg, or one caused by it."""
    original = getattr(error, "orig", None) or error
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        code = _SQLITE_CODES.get(sqlite_code & 0xFF)  # the primary code of an extended one
        return StorageUnavailable(code) if code else None
    if type(original).__module__.startswith("psycopg"):
        state = getattr(original, "sqlstate", None)
        if state is None:  # no server answered: down, restarting, or the connection broke
            return StorageUnavailable()
        if state in _POSTGRES_STATES:
            return StorageUnavailable(_POSTGRES_STATES[state])
        if state.startswith(_POSTGRES_UNAVAILABLE_CLASSES):
            return StorageUnavailable()
    return None
