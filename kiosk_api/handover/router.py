from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from kiosk_api.deps import CallerDep, DeskStaff, SessionDep, SiteDep, StaffSiteDep
from kiosk_api.errors import Forbidden, responses
from kiosk_api.handover import service
from kiosk_api.handover.schemas import (
    ClientMessage,
    ConversationId,
    DeliveryStatusUpdate,
    HandoverCreate,
    HandoverPublic,
    InboxConversation,
    OpeningStatus,
    StaffReply,
)

router = APIRouter(tags=["handover"])
staff_router = APIRouter(prefix="/staff", tags=["desk inbox"])
HandoverId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _bot_only(caller) -> None:  # type: ignore[no-untyped-def]
    if not caller.is_bot:
        raise Forbidden("bot_only")


@router.get("/opening-status", response_model=OpeningStatus, responses=responses(401, 404, 429))
def opening_status(session: SessionDep, site: SiteDep, caller: CallerDep) -> OpeningStatus:
    """Whether the desk is staffed now, and when it opens next (so the bot can say when someone
    answers)."""
    return service.opening_status(session=session, site=site)


@router.post(
    "/handovers",
    response_model=HandoverPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 422, 429),
)
def open_handover(
    payload: HandoverCreate, session: SessionDep, site: SiteDep, caller: CallerDep
) -> HandoverPublic:
    """The bot hands a conversation to the desk ("I want to talk to a person"). Bot token only."""
    _bot_only(caller)
    return service.hand_to_desk(
        session=session,
        site=site,
        conversation_id=payload.conversation_id,
        language=payload.language,
        output_channel=payload.output_channel,
        reference_code=payload.reference_code,
    )


@router.get(
    "/handovers/{conversation_id}",
    response_model=HandoverPublic,
    responses=responses(401, 403, 404, 429),
)
def handover_status(
    conversation_id: Annotated[ConversationId, Path()],
    session: SessionDep,
    site: SiteDep,
    caller: CallerDep,
) -> HandoverPublic:
    """Whether the desk still holds this conversation. Bot token only."""
    _bot_only(caller)
    return service.desk_holds(session=session, site=site, conversation_id=conversation_id)


@router.post(
    "/handovers/{conversation_id}/messages",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422, 429),
)
def client_message(
    conversation_id: Annotated[ConversationId, Path()],
    payload: ClientMessage,
    session: SessionDep,
    caller: CallerDep,
) -> None:
    """A client's message while the desk holds the conversation. Bot token only."""
    _bot_only(caller)
    service.add_client_message(session=session, conversation_id=conversation_id, text=payload.text)


@router.post(
    "/handovers/{conversation_id}/delivery-status",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422, 429),
)
def delivery_status(
    conversation_id: Annotated[ConversationId, Path()],
    payload: DeliveryStatusUpdate,
    session: SessionDep,
    site: SiteDep,
    caller: CallerDep,
) -> None:
    """A messenger's status for the chat's messages (sent, delivered, read, failed, or held when
    its reply window had closed), shown in the desk's hand-over view. Bot token only."""
    _bot_only(caller)
    service.record_delivery_status(
        session=session,
        site=site,
        conversation_id=conversation_id,
        status=payload.status,
        at=payload.at,
    )


@staff_router.get("/inbox", response_model=list[InboxConversation], responses=responses(401, 403))
def inbox(
    session: SessionDep,
    site: StaffSiteDep,
    staff: DeskStaff,
    include_closed: Annotated[bool, Query()] = False,
) -> list[InboxConversation]:
    return service.inbox_views(session=session, site=site, include_closed=include_closed)


@staff_router.get(
    "/inbox/{handover_id}", response_model=InboxConversation, responses=responses(401, 403, 404)
)
def conversation(
    handover_id: HandoverId, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> InboxConversation:
    """The conversation in German (machine translation beside the original)."""
    return service.read_conversation(
        session=session, site=site, handover_id=handover_id, staff_id=staff.id
    )


@staff_router.post(
    "/inbox/{handover_id}/reply",
    response_model=InboxConversation,
    responses=responses(401, 403, 404, 409, 422),
)
def reply(
    handover_id: HandoverId,
    payload: StaffReply,
    session: SessionDep,
    site: StaffSiteDep,
    staff: DeskStaff,
) -> InboxConversation:
    """A reply typed in German, sent to the client in their language on the same channel."""
    return service.staff_reply(
        session=session, site=site, handover_id=handover_id, text=payload.text, staff_id=staff.id
    )


@staff_router.post(
    "/inbox/{handover_id}/close",
    response_model=InboxConversation,
    responses=responses(401, 403, 404),
)
def close(
    handover_id: HandoverId, session: SessionDep, site: StaffSiteDep, staff: DeskStaff
) -> InboxConversation:
    """Hands the conversation back to the bot."""
    return service.hand_back(session=session, site=site, handover_id=handover_id, staff_id=staff.id)
