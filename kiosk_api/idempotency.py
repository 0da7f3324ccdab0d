"""Idempotency-Key support: a retried request gets the first response instead of a second effect.

The key is claimed (inserted) before the work, so a concurrent twin waits on the unique index and
then replays the first answer, rather than racing it for the same slot or ticket."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk_api.deps import CallerDep, SessionDep
from kiosk_api.errors import Conflict, InvalidInput
from kiosk_api.models import IdempotencyKey

MAX_KEY_LENGTH = 128
_CLAIMED = 0  # status of a key whose request has not finished


class ConcurrentDuplicate(Conflict):
    """A twin request with the same key is being processed right now; retrying replays its
    answer."""

    code = "duplicate_request_in_progress"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


def scope_for(operation: str, caller_key: str) -> str:
    """Keys are per caller: another caller's replay of the same key gets nothing."""
    return f"{operation}:{hashlib.sha256(caller_key.encode()).hexdigest()[:24]}"


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def validate_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput("invalid_idempotency_key")
    return key


def _stored(session: Session, scope: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    )


def _replay(stored: IdempotencyKey, fingerprint: str) -> JSONResponse:
    if stored.request_hash != fingerprint:
        raise Conflict("idempotency_key_reused")
    return JSONResponse(status_code=stored.status_code, content=json.loads(stored.response_body))


def begin(*, session: Session, scope: str, key: str | None, payload: Any) -> JSONResponse | None:
    """The stored answer to replay, or None after claiming the key for this request."""
    key = validate_key(key)
    if key is None:
        return None
    fingerprint = request_fingerprint(payload)
    stored = _stored(session, scope, key)
    if stored is not None and stored.status_code != _CLAIMED:
        return _replay(stored, fingerprint)
    if stored is not None:
        # A claim committed by a request that failed while keeping its changes: the work never
        # happened.
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == stored.id))
    try:
        with session.begin_nested():
            session.add(
                IdempotencyKey(
                    scope=scope,
                    key=key,
                    request_hash=fingerprint,
                    status_code=_CLAIMED,
                    response_body="",
                )
            )
    except IntegrityError:
        stored = _stored(session, scope, key)
        if stored is not None and stored.status_code != _CLAIMED:
            return _replay(stored, fingerprint)
        raise ConcurrentDuplicate() from None
    return None


def complete(*, session: Session, scope: str, key: str | None, status_code: int, body: Any) -> None:
    """Stores the answer with the claim, in the request's transaction."""
    key = validate_key(key)
    if key is None:
        return
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        .values(status_code=status_code, response_body=json.dumps(body, default=str))
    )


ResultT = TypeVar("ResultT", bound=BaseModel)


@dataclass(frozen=True)
class Idempotency:
    """A request's Idempotency-Key (or none) and its caller: runs a creating operation at most
    once per key."""

    session: Session
    caller_key: str
    key: str | None

    def run(
        self,
        *,
        operation: str,
        payload: BaseModel,
        work: Callable[[], ResultT],
        status_code: int = 201,
    ) -> ResultT | JSONResponse:
        """The first answer to this key replayed, or `work()` done now and its answer stored with
        the key."""
        scope = scope_for(operation, self.caller_key)
        replay = begin(
            session=self.session, scope=scope, key=self.key, payload=payload.model_dump(mode="json")
        )
        if replay is not None:
            return replay
        result = work()
        complete(
            session=self.session,
            scope=scope,
            key=self.key,
            status_code=status_code,
            body=result.model_dump(mode="json"),
        )
        return result


def get_idempotency(
    session: SessionDep,
    caller: CallerDep,
    idempotency_key: Annotated[str | None, Header(max_length=MAX_KEY_LENGTH)] = None,
) -> Idempotency:
    return Idempotency(session=session, caller_key=caller.key, key=idempotency_key)


# The one place the Idempotency-Key header is read; routes that create something declare this.
IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
