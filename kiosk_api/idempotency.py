"""Idempotency-Key support: a retried request gets the first response instead of a second effect.

The key is claimed (inserted) before the work, so a concurrent twin waits on the unique index and
then replays the first answer, rather than racing it for the same slot or ticket."""

from __future__ import annotations

import hashlib
import hmac
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

from kiosk_api.config import get_settings
from kiosk_api.deps import CallerDep, ProofDep, SessionDep
from kiosk_api.errors import Conflict, InvalidInput
from kiosk_api.intake.service import Proof
from kiosk_api.models import IdempotencyKey
from kiosk_api.security import constant_time_equals

MAX_KEY_LENGTH = 128
_CLAIMED = 0  # status of a key whose request has not finished
# The stored request hash: the payload's hash, then a keyed tag of the proof headers it came with.
_PAYLOAD_HASH_CHARS = 40
_PROOF_TAG_CHARS = 24


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


def proof_tag(proof: Proof) -> str:
    """A keyed tag of the PIN or date of birth sent (and the bot's chat, since every chat shares
    the bot's scope): a replay must come with the same proof."""
    key = get_settings().secret_key.encode()
    parts = (proof.pin, proof.birth_date, proof.conversation_id)
    shown = "\x00".join(part or "" for part in parts).encode()
    return hmac.new(key, shown, hashlib.sha256).hexdigest()[:_PROOF_TAG_CHARS]


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


def _replay(
    stored: IdempotencyKey, fingerprint: str, verify: Callable[[], object] | None
) -> JSONResponse:
    """The stored answer, only for the same request with the same proof, once the proof passed
    its check again (a wrong one counts as a failed attempt, so a replay is no PIN oracle)."""
    payload_hash, tag = fingerprint[:_PAYLOAD_HASH_CHARS], fingerprint[_PAYLOAD_HASH_CHARS:]
    if stored.request_hash[:_PAYLOAD_HASH_CHARS] != payload_hash:
        raise Conflict("idempotency_key_reused")
    if verify is not None:
        verify()
    if not constant_time_equals(stored.request_hash[_PAYLOAD_HASH_CHARS:], tag):
        raise Conflict("idempotency_proof_mismatch")
    return JSONResponse(status_code=stored.status_code, content=json.loads(stored.response_body))


def begin(
    *,
    session: Session,
    scope: str,
    key: str | None,
    payload: Any,
    proof: str = "",
    verify: Callable[[], object] | None = None,
) -> JSONResponse | None:
    """The stored answer to replay, or None after claiming the key for this request. `proof`: the
    caller's proof tag; `verify`: checks the caller's proof of the resource before a replay."""
    key = validate_key(key)
    if key is None:
        return None
    fingerprint = request_fingerprint(payload)[:_PAYLOAD_HASH_CHARS] + proof[:_PROOF_TAG_CHARS]
    stored = _stored(session, scope, key)
    if stored is not None and stored.status_code != _CLAIMED:
        return _replay(stored, fingerprint, verify)
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
            return _replay(stored, fingerprint, verify)
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
    proof_tag: str = ""

    def run(
        self,
        *,
        operation: str,
        payload: BaseModel,
        work: Callable[[], ResultT],
        verify: Callable[[], object] | None = None,
        status_code: int = 201,
    ) -> ResultT | JSONResponse:
        """The first answer to this key replayed (same caller, same proof, which `verify` checks
        again first), or `work()` done now and its answer stored with the key."""
        scope = scope_for(operation, self.caller_key)
        replay = begin(
            session=self.session,
            scope=scope,
            key=self.key,
            payload=payload.model_dump(mode="json"),
            proof=self.proof_tag,
            verify=verify,
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
    proof: ProofDep,
    idempotency_key: Annotated[str | None, Header(max_length=MAX_KEY_LENGTH)] = None,
) -> Idempotency:
    return Idempotency(
        session=session, caller_key=caller.key, key=idempotency_key, proof_tag=proof_tag(proof)
    )


# The one place the Idempotency-Key header is read; routes that create something declare this.
IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
