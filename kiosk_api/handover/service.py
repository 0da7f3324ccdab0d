"""Chat hand-over to the desk: client messages reach a staff inbox in German, replies go back in
the client's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api.audit.service import record_event
from kiosk_api.errors import Conflict, NotFound
from kiosk_api.handover.schemas import (
    HandoverPublic,
    InboxConversation,
    InboxMessage,
    OpeningStatus,
)
from kiosk_api.i18n import language_name
from kiosk_api.intake.service import find_record
from kiosk_api.models import Handover, HandoverMessage, OpeningHours, Site, utcnow
from kiosk_api.models.enums import ActorType, DeliveryStatus, HandoverStatus
from kiosk_api.notifications.service import enqueue
from kiosk_api.queue.desk_view import DESK_LOCALE
from kiosk_api.translation.schemas import TranslatedText
from kiosk_api.translation.service import to_german, translate_text


def opening_status(*, session: Session, site: Site, now: datetime | None = None) -> OpeningStatus:
    zone = ZoneInfo(site.timezone)
    local = (now or utcnow()).astimezone(zone)
    windows = session.scalars(select(OpeningHours).where(OpeningHours.site_id == site.id)).all()
    open_now = any(
        w.weekday == local.weekday() and w.opens <= local.time() < w.closes for w in windows
    )
    upcoming = []
    for offset in range(0, 8):
        day = (local + timedelta(days=offset)).date()
        for window in windows:
            if window.weekday == day.weekday():
                start = datetime.combine(day, window.opens, tzinfo=zone)
                if start > local:
                    upcoming.append(start)
    return OpeningStatus(open_now=open_now, next_opening_at=min(upcoming) if upcoming else None)


def open_handover(
    *,
    session: Session,
    site: Site,
    conversation_id: str,
    language: str,
    output_channel: str,
    reference_code: str | None,
) -> Handover:
    session.execute(
        select(Site.id).where(Site.id == site.id).with_for_update()
    )  # one open hand-over per conversation
    existing = active(session=session, conversation_id=conversation_id)
    if existing is not None:
        return existing
    record = find_record(session=session, reference_code=reference_code) if reference_code else None
    handover = Handover(
        site_id=site.id,
        conversation_id=conversation_id,
        language=language,
        output_channel=output_channel,
        intake_id=record.id if record else None,
    )
    session.add(handover)
    session.flush()
    record_event(
        session=session,
        actor_type=ActorType.bot,
        action="handover.opened",
        subject_type="handover",
        subject_id=handover.id,
        site_id=site.id,
    )
    return handover


def active(*, session: Session, conversation_id: str) -> Handover | None:
    return session.scalar(
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.status == HandoverStatus.open)
        .order_by(Handover.id.desc())
    )


def open_for(*, session: Session, conversation_id: str) -> Handover:
    """The conversation's open hand-over; NotFound once the desk handed it back (or never held
    it)."""
    handover = active(session=session, conversation_id=conversation_id)
    if handover is None:
        raise NotFound("handover_not_found")
    return handover


def add_client_message(*, session: Session, conversation_id: str, text: str) -> HandoverMessage:
    handover = open_for(session=session, conversation_id=conversation_id)
    message = HandoverMessage(
        handover_id=handover.id, sender="client", language=handover.language, text=text
    )
    session.add(message)
    session.flush()
    return message


# Statuses of one moment arrive in any order: the furthest one counts (read after delivered).
_STATUS_RANK = {
    DeliveryStatus.sent: 1,
    DeliveryStatus.delivered: 2,
    DeliveryStatus.read: 3,
    DeliveryStatus.failed: 4,
    DeliveryStatus.held: 4,
}


def record_delivery_status(
    *, session: Session, site: Site, conversation_id: str, status: DeliveryStatus, at: datetime
) -> None:
    """Keeps the latest delivery status on the conversation's latest hand-over (closed ones too:
    the hand-back message is reported after the close); NotFound when the desk never held it."""
    handover = session.scalar(
        select(Handover)
        .where(Handover.conversation_id == conversation_id, Handover.site_id == site.id)
        .order_by(Handover.id.desc())
    )
    if handover is None:
        raise NotFound("handover_not_found")
    # A platform's clock ahead of ours must not pin the status.
    at = min(at if at.tzinfo else at.replace(tzinfo=UTC), utcnow())
    current, current_at = handover.delivery_status, handover.delivery_status_at
    if current is not None and current_at is not None:
        if at < current_at or (at == current_at and _STATUS_RANK[status] < _STATUS_RANK[current]):
            return
    handover.delivery_status = status
    handover.delivery_status_at = at
    session.flush()


def staff_handover(*, session: Session, site: Site, handover_id: int) -> Handover:
    handover = session.get(Handover, handover_id)
    if handover is None or handover.site_id != site.id:
        raise NotFound("handover_not_found")
    return handover


def audit_read(*, session: Session, handover: Handover, staff_id: int) -> None:
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff_id,
        action="handover.read",
        subject_type="handover",
        subject_id=handover.id,
        site_id=handover.site_id,
    )


def reply(*, session: Session, handover: Handover, text: str, staff_id: int) -> HandoverMessage:
    """Stores the German reply and queues it for the client's chat, machine-translated into their
    language."""
    if handover.status is not HandoverStatus.open:
        raise Conflict("handover_closed")
    message = HandoverMessage(
        handover_id=handover.id, sender="staff", staff_id=staff_id, language=DESK_LOCALE, text=text
    )
    session.add(message)
    session.flush()
    translated = translate_text(
        session=session, text=text, source_language=DESK_LOCALE, target_language=handover.language
    )
    enqueue(
        session=session,
        conversation_id=handover.conversation_id,
        output_channel=handover.output_channel,
        intent="EXTERNAL_staff_reply",
        entities={
            "text": translated.text,
            "original": text,
            "machine_translated": translated.machine_translated,
        },
    )
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff_id,
        action="handover.replied",
        subject_type="handover",
        subject_id=handover.id,
        site_id=handover.site_id,
    )
    return message


def close(*, session: Session, handover: Handover, staff_id: int) -> Handover:
    """Hands the conversation back to the bot."""
    if handover.status is HandoverStatus.closed:
        return handover
    handover.status = HandoverStatus.closed
    handover.closed_at = utcnow()
    enqueue(
        session=session,
        conversation_id=handover.conversation_id,
        output_channel=handover.output_channel,
        intent="EXTERNAL_handover_ended",
        entities={},
    )
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff_id,
        action="handover.closed",
        subject_type="handover",
        subject_id=handover.id,
        site_id=handover.site_id,
    )
    session.flush()
    return handover


def _same(text: str, language: str) -> TranslatedText:
    return TranslatedText(
        original=text,
        text=text,
        source_language=language,
        target_language=language,
        machine_translated=False,
        available=True,
        notice=None,
    )


def inbox_view(*, session: Session, handover: Handover, with_messages: bool) -> InboxConversation:
    messages = handover.messages
    unanswered = 0
    for message in messages:
        unanswered = unanswered + 1 if message.sender == "client" else 0
    view = InboxConversation(
        id=handover.id,
        conversation_id=handover.conversation_id,
        language=handover.language,
        language_name=language_name(handover.language, DESK_LOCALE),
        status=handover.status,
        created_at=handover.created_at,
        last_message_at=messages[-1].created_at if messages else None,
        unanswered=unanswered,
        delivery_status=handover.delivery_status,
        delivery_status_at=handover.delivery_status_at,
    )
    if with_messages:
        view.messages = []
        for message in messages:
            if message.sender == "client":
                german = to_german(
                    session=session, text=message.text, source_language=message.language
                ) or _same(message.text, message.language)
                client_side = _same(message.text, message.language)
            else:
                german = _same(message.text, DESK_LOCALE)
                client_side = translate_text(
                    session=session,
                    text=message.text,
                    source_language=DESK_LOCALE,
                    target_language=handover.language,
                )
            view.messages.append(
                InboxMessage(
                    id=message.id,
                    sender=message.sender,
                    created_at=message.created_at,
                    german=german,
                    client_language=client_side,
                )
            )
    return view


def inbox(*, session: Session, site: Site, include_closed: bool) -> list[Handover]:
    query = select(Handover).where(Handover.site_id == site.id)
    if not include_closed:
        query = query.where(Handover.status == HandoverStatus.open)
    return list(session.scalars(query.order_by(Handover.created_at)))


# --- what the routes answer: one function per route ----------------------------------------------


def _public(*, session: Session, site: Site, handover: Handover) -> HandoverPublic:
    return HandoverPublic(
        id=handover.id,
        conversation_id=handover.conversation_id,
        status=handover.status,
        created_at=handover.created_at,
        opening=opening_status(session=session, site=site),
    )


def hand_to_desk(
    *,
    session: Session,
    site: Site,
    conversation_id: str,
    language: str,
    output_channel: str,
    reference_code: str | None,
) -> HandoverPublic:
    """The bot's hand-over, with when the desk opens so the bot can say when someone will answer."""
    handover = open_handover(
        session=session,
        site=site,
        conversation_id=conversation_id,
        language=language,
        output_channel=output_channel,
        reference_code=reference_code,
    )
    return _public(session=session, site=site, handover=handover)


def desk_holds(*, session: Session, site: Site, conversation_id: str) -> HandoverPublic:
    """The conversation's open hand-over; NotFound once the desk handed it back."""
    return _public(
        session=session,
        site=site,
        handover=open_for(session=session, conversation_id=conversation_id),
    )


def inbox_views(*, session: Session, site: Site, include_closed: bool) -> list[InboxConversation]:
    return [
        inbox_view(session=session, handover=h, with_messages=False)
        for h in inbox(session=session, site=site, include_closed=include_closed)
    ]


def read_conversation(
    *, session: Session, site: Site, handover_id: int, staff_id: int
) -> InboxConversation:
    """The conversation in German beside the original; the read is audited."""
    handover = staff_handover(session=session, site=site, handover_id=handover_id)
    audit_read(session=session, handover=handover, staff_id=staff_id)
    return inbox_view(session=session, handover=handover, with_messages=True)


def staff_reply(
    *, session: Session, site: Site, handover_id: int, text: str, staff_id: int
) -> InboxConversation:
    handover = staff_handover(session=session, site=site, handover_id=handover_id)
    reply(session=session, handover=handover, text=text, staff_id=staff_id)
    return inbox_view(session=session, handover=handover, with_messages=True)


def hand_back(
    *, session: Session, site: Site, handover_id: int, staff_id: int
) -> InboxConversation:
    handover = staff_handover(session=session, site=site, handover_id=handover_id)
    return inbox_view(
        session=session,
        handover=close(session=session, handover=handover, staff_id=staff_id),
        with_messages=False,
    )
