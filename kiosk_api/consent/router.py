from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from kiosk_api.consent.schemas import ConsentCreate, ConsentNotice, ConsentReceipt, PinIssued
from kiosk_api.consent.service import current_notice, issue_pin, record_consent, withdraw_consent
from kiosk_api.deps import CallerDep, ProofDep, ReferenceCode, SessionDep, SiteDep
from kiosk_api.errors import Forbidden, responses
from kiosk_api.idempotency import IdempotencyDep
from kiosk_api.intake.service import open_record
from kiosk_api.validation import LanguageCode

router = APIRouter(tags=["consent"])


@router.get("/consent/notice", response_model=ConsentNotice, responses=responses(401, 422, 429))
def get_notice(language: Annotated[LanguageCode, Query()], caller: CallerDep) -> ConsentNotice:
    """The current data-protection notice in the client's language, with its version."""
    return current_notice(language)


@router.post(
    "/consents",
    response_model=ConsentReceipt,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422, 429),
)
def give_consent(
    payload: ConsentCreate,
    session: SessionDep,
    site: SiteDep,
    caller: CallerDep,
    idempotency: IdempotencyDep,
) -> ConsentReceipt | JSONResponse:
    """Records consent and opens an empty intake record; returns its reference code and PIN once."""
    return idempotency.run(
        operation="consent",
        payload=payload,
        work=lambda: record_consent(
            session=session, site=site, payload=payload, actor=caller.actor_type
        ),
    )


@router.post(
    "/consents/{reference_code}/withdraw",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 404, 429),
)
def withdraw(
    reference_code: ReferenceCode, proof: ProofDep, session: SessionDep, caller: CallerDep
) -> None:
    """Withdraws consent, which erases the record and the conversation behind it."""
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    withdraw_consent(session=session, record=record, actor=caller.actor_type)


@router.post(
    "/consents/{reference_code}/pin",
    response_model=PinIssued,
    responses=responses(401, 403, 404, 429),
)
def new_pin(
    reference_code: ReferenceCode, proof: ProofDep, session: SessionDep, caller: CallerDep
) -> PinIssued:
    """A fresh PIN for the bot's chat that opened the record, to show once at the end of the
    pre-registration (bot only, proved by its conversation)."""
    if not proof.conversation_id:
        raise Forbidden("bot_only")
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    if record.conversation_id != proof.conversation_id:
        raise Forbidden("bot_only")  # proved by PIN, not by the chat that opened it
    return issue_pin(session=session, record=record, actor=caller.actor_type)
