from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import Field

from kiosk_api.deps import (
    CallerDep,
    DeskStaff,
    LobbySiteDep,
    ProofDep,
    SessionDep,
    SiteDep,
    StaffSiteDep,
)
from kiosk_api.errors import responses
from kiosk_api.idempotency import IdempotencyDep
from kiosk_api.models.enums import TicketStatus
from kiosk_api.queue import desk_view, service, streams
from kiosk_api.queue.schemas import (
    CallNext,
    CallTicket,
    CheckinCreate,
    DisplayCall,
    Handover,
    QueueEntry,
    TicketPublic,
)

public_router = APIRouter(tags=["check-in"])
staff_router = APIRouter(prefix="/staff", tags=["desk"])

TicketCode = Annotated[str, Path(min_length=3, max_length=32)]
TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TicketIdValue = Annotated[int, Field(ge=1, le=2**31 - 1)]
# More than a desk's live view ever asks for at once; it reads the whole queue instead.
MAX_TICKETS_PER_READ = 200


@public_router.post(
    "/checkins",
    response_model=TicketPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422, 429),
)
def check_in(
    payload: CheckinCreate,
    proof: ProofDep,
    session: SessionDep,
    site: LobbySiteDep,
    caller: CallerDep,
    idempotency: IdempotencyDep,
) -> TicketPublic | JSONResponse:
    """Arrival at the lobby: returns a queue ticket. A kiosk retrying with the same
    Idempotency-Key gets the same ticket."""
    return idempotency.run(
        operation="checkin",
        payload=payload,
        verify=lambda: service.verify_checkin_proof(session=session, payload=payload, proof=proof),
        work=lambda: service.check_in(
            session=session, site=site, payload=payload, proof=proof, actor=caller.actor_type
        ),
    )


@public_router.get(
    "/tickets/{ticket_code}", response_model=TicketPublic, responses=responses(401, 404, 429)
)
def ticket_status(ticket_code: TicketCode, session: SessionDep, caller: CallerDep) -> TicketPublic:
    """Live position, estimated wait and, once called, the desk (for the ticket's QR code page)."""
    return service.ticket_public(
        session, service.find_ticket(session=session, ticket_code=ticket_code)
    )


@public_router.get(
    "/display/calls", response_model=list[DisplayCall], responses=responses(401, 404, 429)
)
def display_calls(session: SessionDep, site: SiteDep, caller: CallerDep) -> list[DisplayCall]:
    """The lobby call display: the latest called numbers and their desks, without names."""
    return [
        DisplayCall(
            display_number=service.display_number(t.number),
            desk=t.desk,
            language=t.language,
            called_at=t.called_at,
        )
        for t in service.recent_calls(session=session, site=site)
    ]


@staff_router.get("/queue", response_model=list[QueueEntry], responses=responses(401, 403))
def live_queue(
    session: SessionDep,
    site: StaffSiteDep,
    staff: DeskStaff,
    include_finished: Annotated[bool, Query()] = False,
    ids: Annotated[list[TicketIdValue] | None, Query(max_length=MAX_TICKETS_PER_READ)] = None,
) -> Response:
    """Today's arrivals with the captured data in German; the read is audited. `ids` (repeated):
    only those tickets, e.g. the ones the live stream says changed; a requested ticket missing
    from the answer has left the queue."""
    # Already validated and written as JSON by the view: FastAPI would validate it a second time.
    body = desk_view.live_queue(
        session=session,
        site=site,
        staff_id=staff.id,
        include_finished=include_finished,
        ids=ids,
    )
    return Response(body, media_type="application/json")


@staff_router.post(
    "/queue/call-next", response_model=QueueEntry, responses=responses(401, 403, 404, 422)
)
def call_next(
    payload: CallNext, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> QueueEntry:
    return desk_view.call_next(
        session=session,
        site=site,
        desk=payload.desk,
        service_code=payload.service_code,
        staff_id=staff.id,
    )


@staff_router.post(
    "/tickets/{ticket_id}/call",
    response_model=QueueEntry,
    responses=responses(401, 403, 404, 409, 422),
)
def call_ticket(
    ticket_id: TicketId,
    payload: CallTicket,
    session: SessionDep,
    site: StaffSiteDep,
    staff: DeskStaff,
) -> QueueEntry:
    return desk_view.call(
        session=session, site=site, ticket_id=ticket_id, desk=payload.desk, staff_id=staff.id
    )


@staff_router.post(
    "/tickets/{ticket_id}/handover",
    response_model=QueueEntry,
    responses=responses(401, 403, 404, 409, 422),
)
def hand_over(
    ticket_id: TicketId,
    payload: Handover,
    session: SessionDep,
    site: StaffSiteDep,
    staff: DeskStaff,
) -> QueueEntry:
    """Warm hand-over to another team."""
    return desk_view.hand_over(
        session=session,
        site=site,
        ticket_id=ticket_id,
        service_code=payload.service_code,
        desk=payload.desk,
        staff_id=staff.id,
    )


@staff_router.post(
    "/tickets/{ticket_id}/no-show",
    response_model=QueueEntry,
    responses=responses(401, 403, 404, 409),
)
def no_show(
    ticket_id: TicketId, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> QueueEntry:
    return desk_view.finish(
        session=session,
        site=site,
        ticket_id=ticket_id,
        status=TicketStatus.no_show,
        staff_id=staff.id,
    )


@staff_router.post(
    "/tickets/{ticket_id}/done", response_model=QueueEntry, responses=responses(401, 403, 404, 409)
)
def done(
    ticket_id: TicketId, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> QueueEntry:
    return desk_view.finish(
        session=session, site=site, ticket_id=ticket_id, status=TicketStatus.done, staff_id=staff.id
    )


# Event streams: not in the OpenAPI schema, an endless response that schema tools would read to its
# end.


@public_router.get(
    "/display/stream",
    include_in_schema=False,
    response_class=StreamingResponse,
    responses=responses(429, 503),
)
def display_stream(request: Request, site: SiteDep, caller: CallerDep) -> StreamingResponse:
    """Server-sent events: `calls` with the latest calls (number, desk, text in the client's
    language; no names)."""
    return streams.display_stream(request=request, site_id=site.id)


@public_router.get(
    "/tickets/{ticket_code}/stream",
    include_in_schema=False,
    response_class=StreamingResponse,
    responses=responses(404, 429, 503),
)
def ticket_stream(
    ticket_code: TicketCode, request: Request, session: SessionDep, caller: CallerDep
) -> StreamingResponse:
    """Server-sent events: `ticket` with the ticket's status and position whenever they change."""
    code = service.find_ticket(session=session, ticket_code=ticket_code).ticket_code
    return streams.ticket_stream(request=request, ticket_code=code)


@staff_router.get(
    "/queue/stream",
    include_in_schema=False,
    response_class=StreamingResponse,
    responses=responses(401, 403, 503),
)
def queue_stream(request: Request, site: StaffSiteDep, staff: DeskStaff) -> StreamingResponse:
    """Server-sent events: `queue` with a version whenever today's queue changes; then GET
    /staff/queue.

    Authenticated with the Authorization header (read it with fetch streaming); ends when the
    login does."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return streams.queue_stream(request=request, site_id=site.id, token=token)
