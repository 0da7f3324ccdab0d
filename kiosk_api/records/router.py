from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from fastapi.responses import Response

from kiosk_api.appointments.schemas import BookingPublic
from kiosk_api.deps import DeskStaff, SessionDep, StaffSiteDep
from kiosk_api.errors import responses
from kiosk_api.intake.schemas import IntakeExport
from kiosk_api.records import pdf, service
from kiosk_api.records.schemas import IntakeStaffView, StaffBookingCreate

router = APIRouter(prefix="/staff", tags=["records"])
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/intakes/{record_id}", response_model=IntakeStaffView, responses=responses(401, 403, 404)
)
def read_record(
    record_id: RecordId, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> IntakeStaffView:
    """The intake in German with free text machine-translated beside the original; audited."""
    return service.read_for_staff(session=session, site=site, record_id=record_id, staff=staff)


@router.get(
    "/intakes/{record_id}/export.json",
    response_model=IntakeExport,
    responses=responses(401, 403, 404),
)
def export_json(
    record_id: RecordId, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> IntakeExport:
    return service.export_for_staff(session=session, site=site, record_id=record_id, staff=staff)


@router.get(
    "/intakes/{record_id}/sheet.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "German intake sheet"},
        **responses(401, 403, 404, 503),
    },
)
def intake_sheet(
    record_id: RecordId, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> Response:
    view = service.sheet_for_staff(session=session, site=site, record_id=record_id, staff=staff)
    return Response(
        content=pdf.intake_sheet(view),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="anmeldebogen-{view.reference_code}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/bookings",
    response_model=BookingPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
)
def book_for_client(
    payload: StaffBookingCreate, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> BookingPublic:
    """The desk books an appointment for a client (with a record, or anonymous)."""
    return service.book_for_client(session=session, site=site, payload=payload, staff=staff)
