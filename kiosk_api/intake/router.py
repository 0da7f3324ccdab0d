from __future__ import annotations

from fastapi import APIRouter, status

from kiosk_api.deps import CallerDep, LocaleDep, ProofDep, ReferenceCode, SessionDep
from kiosk_api.errors import responses
from kiosk_api.intake.schemas import IntakeExport, IntakePublic, IntakeUpdate
from kiosk_api.intake.service import (
    apply_update,
    erase_record,
    export_record,
    open_record,
    to_public,
)
from kiosk_api.routing.schemas import RoutingResult
from kiosk_api.routing.service import route

router = APIRouter(tags=["intake"])

PROOF_ERRORS = responses(401, 404, 409, 422, 429)


@router.get("/intakes/{reference_code}", response_model=IntakePublic, responses=PROOF_ERRORS)
def read_intake(
    reference_code: ReferenceCode, proof: ProofDep, session: SessionDep, caller: CallerDep
) -> IntakePublic:
    """The client's own record."""
    return to_public(open_record(session=session, reference_code=reference_code, proof=proof))


@router.patch("/intakes/{reference_code}", response_model=IntakePublic, responses=PROOF_ERRORS)
def update_intake(
    reference_code: ReferenceCode,
    changes: IntakeUpdate,
    proof: ProofDep,
    session: SessionDep,
    caller: CallerDep,
) -> IntakePublic:
    """Fills or corrects fields; only the fields sent change."""
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    return to_public(
        apply_update(session=session, record=record, changes=changes, actor=caller.actor_type)
    )


@router.delete(
    "/intakes/{reference_code}", status_code=status.HTTP_204_NO_CONTENT, responses=PROOF_ERRORS
)
def delete_intake(
    reference_code: ReferenceCode, proof: ProofDep, session: SessionDep, caller: CallerDep
) -> None:
    """Erases the record, its consents and its conversation; future appointments are freed."""
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    erase_record(session=session, record=record, actor=caller.actor_type, reason="client_request")


@router.get("/intakes/{reference_code}/export", response_model=IntakeExport, responses=PROOF_ERRORS)
def export_intake(
    reference_code: ReferenceCode, proof: ProofDep, session: SessionDep, caller: CallerDep
) -> IntakeExport:
    """Everything stored about the client, as JSON."""
    return export_record(
        session=session,
        record=open_record(session=session, reference_code=reference_code, proof=proof),
    )


@router.get(
    "/intakes/{reference_code}/routing", response_model=RoutingResult, responses=PROOF_ERRORS
)
def routing_for_intake(
    reference_code: ReferenceCode,
    proof: ProofDep,
    session: SessionDep,
    caller: CallerDep,
    locale: LocaleDep,
) -> RoutingResult:
    """Which team will likely help and why, by the rules of the record's own site: a suggestion for
    the desk, not a decision."""
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    return route(session=session, site=record.site, record=record, locale=locale)
