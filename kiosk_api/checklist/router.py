from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from kiosk_api.checklist import service
from kiosk_api.checklist.schemas import Checklist
from kiosk_api.deps import CallerDep, ProofDep, ReferenceCode, SessionDep
from kiosk_api.errors import responses
from kiosk_api.intake.service import open_record
from kiosk_api.validation import LanguageCode

router = APIRouter(tags=["checklist"])
LanguageQuery = Annotated[
    LanguageCode | None, Query(description="Defaults to the record's preferred language")
]


@router.get(
    "/intakes/{reference_code}/checklist",
    response_model=Checklist,
    responses=responses(401, 404, 422, 429),
)
def checklist(
    reference_code: ReferenceCode,
    proof: ProofDep,
    session: SessionDep,
    caller: CallerDep,
    language: LanguageQuery = None,
) -> Checklist:
    """Documents to bring and next steps for this client, each with the German term beside it."""
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    return service.build(
        site=record.site, record=record, language=language or record.preferred_language
    )


@router.get(
    "/intakes/{reference_code}/checklist.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "Printable checklist"},
        **responses(401, 404, 422, 429, 503),
    },
)
def checklist_pdf(
    reference_code: ReferenceCode,
    proof: ProofDep,
    session: SessionDep,
    caller: CallerDep,
    language: LanguageQuery = None,
) -> Response:
    record = open_record(session=session, reference_code=reference_code, proof=proof)
    built = service.build(
        site=record.site, record=record, language=language or record.preferred_language
    )
    return Response(
        content=service.checklist_pdf(built),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="checklist-{built.reference_code}.pdf"',
            "Cache-Control": "no-store",
        },
    )
