"""The intake record: access by reference code plus proof, update, export and erasure."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from kiosk_api.audit.service import record_event
from kiosk_api.config import get_settings
from kiosk_api.errors import Conflict, NotFound, TooManyRequests, Unauthorized
from kiosk_api.intake.schemas import (
    ExportBooking,
    ExportMessage,
    ExportTicket,
    IntakeExport,
    IntakePublic,
    IntakeUpdate,
)
from kiosk_api.models import (
    Booking,
    Handover,
    HandoverMessage,
    HouseholdMember,
    IdempotencyKey,
    IntakeRecord,
    Notification,
    QueueTicket,
    Slot,
    utcnow,
)
from kiosk_api.models.enums import ActorType, BookingStatus, IntakeStatus
from kiosk_api.ratelimit import limiter
from kiosk_api.security import constant_time_equals, normalize_code, secret_matches
from kiosk_api.translation.service import forget_texts

REFERENCE_PREFIX = "LT"
FREE_TEXT_FIELDS = (
    "concern_text",
    "profession",
    "work_experience",
    "schooling",
    "vocational_training",
    "foreign_qualifications",
)


class Proof:
    """What a client shows to reach their record (the PIN, or the date of birth for check-in only)
    and who shows it: the caller's key counts failures across codes."""

    def __init__(
        self,
        pin: str | None,
        birth_date: str | None,
        *,
        caller_key: str | None = None,
        by_bot: bool = False,
        conversation_id: str | None = None,
    ) -> None:
        self.pin = pin.strip() if pin else None
        self.birth_date = birth_date.strip() if birth_date else None
        self.caller_key = caller_key
        self.by_bot = by_bot
        # The bot's chat: a record or booking made in it is the chat's own (get_proof: bot only).
        self.conversation_id = conversation_id if by_bot and conversation_id else None

    @property
    def given(self) -> bool:
        return bool(self.pin or self.birth_date or self.conversation_id)

    @property
    def strong(self) -> bool:
        """A proof that opens more than check-in: the PIN, or the bot's chat that made it."""
        return bool(self.pin or self.conversation_id)


PROOF_FAILURES_BUCKET = "proof-failures"


def _failure_limit(proof: Proof) -> int:
    settings = get_settings()
    return settings.proof_failures_per_bot if proof.by_bot else settings.proof_failures_per_address


def refuse_busy_source(proof: Proof) -> None:
    """429 once the caller's wrong proofs and unknown codes across all codes reach the limit."""
    if not proof.caller_key:
        return
    try:
        limiter.check(
            PROOF_FAILURES_BUCKET,
            proof.caller_key,
            limit=_failure_limit(proof),
            window_seconds=get_settings().proof_failure_window_minutes * 60,
        )
    except TooManyRequests as limited:
        raise TooManyRequests(
            "too_many_attempts", details=limited.details, headers=limited.headers
        ) from None


def count_source_failure(proof: Proof) -> None:
    if proof.caller_key:
        limiter.add(
            PROOF_FAILURES_BUCKET,
            proof.caller_key,
            window_seconds=get_settings().proof_failure_window_minutes * 60,
        )


def lockout_length(lockouts: int) -> timedelta:
    """The `lockouts`-th lockout of one code: the base length doubled each time, capped."""
    settings = get_settings()
    minutes = settings.proof_lockout_minutes * 2 ** min(max(lockouts - 1, 0), 30)
    return timedelta(minutes=min(minutes, settings.proof_lockout_max_minutes))


def _check_proof(
    record: IntakeRecord | Booking, code: str, proof: Proof, birth_date: date | None
) -> bool:
    if proof.pin and secret_matches(code, proof.pin, record.pin_hash):
        return True
    if proof.conversation_id and record.conversation_id == proof.conversation_id:
        return True
    if proof.birth_date and birth_date is not None:
        return constant_time_equals(proof.birth_date, birth_date.isoformat())
    return False


def guard_attempts(
    record: IntakeRecord | Booking,
    *,
    code: str,
    proof: Proof,
    birth_date: date | None,
    allow_birth_date: bool = False,
) -> None:
    """Verifies the proof; counts failures per code and per caller, and locks the code for a while
    (longer each time) after too many. The date of birth counts only where `allow_birth_date`
    (check-in); everything else needs the PIN."""
    settings = get_settings()
    now = utcnow()
    if record.locked_until is not None and record.locked_until > now:
        retry = int((record.locked_until - now).total_seconds()) + 1
        raise TooManyRequests(
            "too_many_attempts",
            details={"retry_after_seconds": retry},
            headers={"Retry-After": str(retry)},
        )
    refuse_busy_source(proof)
    if not proof.given:
        raise Unauthorized("proof_required" if allow_birth_date else "pin_required")
    if not allow_birth_date and not proof.strong:
        raise Unauthorized("pin_required")
    if _check_proof(record, code, proof, birth_date if allow_birth_date else None):
        # The owner proved it: earlier failures and lockouts were someone's typos or are over.
        record.failed_proofs = 0
        record.locked_until = None
        record.lockouts = 0
        return
    count_source_failure(proof)
    record.failed_proofs += 1
    if record.failed_proofs >= settings.proof_max_failures:
        record.failed_proofs = 0
        record.lockouts = (record.lockouts or 0) + 1
        record.locked_until = now + lockout_length(record.lockouts)
    raise WrongProof()


class WrongProof(Unauthorized):
    """The failure count must survive the error, so the request commits it instead of rolling
    back."""

    code = "wrong_proof"
    keep_changes = True


def find_record(*, session: Session, reference_code: str, lock: bool = False) -> IntakeRecord:
    """`lock`: row lock on PostgreSQL, so proof checks and check-ins of one record run one at a
    time."""
    code = normalize_code(reference_code)
    query = select(IntakeRecord).where(IntakeRecord.reference_code == code)
    record = session.scalar(query.with_for_update() if lock else query)
    if record is None:
        raise NotFound("record_not_found")
    return record


def find_for_proof(*, session: Session, reference_code: str, proof: Proof) -> IntakeRecord:
    """The record to prove, locked; an unknown code counts against the caller like a wrong
    proof."""
    refuse_busy_source(proof)
    try:
        return find_record(session=session, reference_code=reference_code, lock=True)
    except NotFound:
        count_source_failure(proof)
        raise


def open_record(
    *, session: Session, reference_code: str, proof: Proof, allow_birth_date: bool = False
) -> IntakeRecord:
    """The client's record after their proof: the PIN, or also the date of birth for check-in."""
    record = find_for_proof(session=session, reference_code=reference_code, proof=proof)
    guard_attempts(
        record,
        code=record.reference_code,
        proof=proof,
        birth_date=record.birth_date,
        allow_birth_date=allow_birth_date,
    )
    return record


def apply_update(
    *, session: Session, record: IntakeRecord, changes: IntakeUpdate, actor: ActorType
) -> IntakeRecord:
    if record.status in (IntakeStatus.handed_over, IntakeStatus.closed):
        raise Conflict("record_closed")
    data: dict[str, Any] = changes.model_dump(exclude_unset=True)
    submit = data.pop("submit", False)
    assisted = data.pop("assisted", None)
    household = data.pop("household", None)
    for field, value in data.items():
        if value is None and field in ("preferred_language", "languages_spoken"):
            continue
        setattr(record, field, value)
    if household is not None:
        record.household = [HouseholdMember(**member) for member in household]
    if assisted is not None:
        record.assisted = assisted
    if submit and record.status == IntakeStatus.draft:
        record.status = IntakeStatus.submitted
        record.submitted_at = utcnow()
    record.updated_at = utcnow()
    session.flush()
    record_event(
        session=session,
        actor_type=actor,
        action="intake.updated",
        subject_type="intake",
        subject_id=record.id,
        site_id=record.site_id,
        details={
            "fields": sorted(data) + (["household"] if household is not None else []),
            "submitted": bool(submit),
        },
    )
    return record


def to_public(record: IntakeRecord) -> IntakePublic:
    return IntakePublic.model_validate(record)


def export_record(*, session: Session, record: IntakeRecord) -> IntakeExport:
    bookings = session.scalars(
        select(Booking).where(Booking.intake_id == record.id).order_by(Booking.id)
    ).all()
    tickets = session.scalars(
        select(QueueTicket).where(QueueTicket.intake_id == record.id).order_by(QueueTicket.id)
    ).all()
    handovers = select(Handover.id).where(Handover.intake_id == record.id)
    if record.conversation_id:
        handovers = select(Handover.id).where(
            or_(Handover.intake_id == record.id, Handover.conversation_id == record.conversation_id)
        )
    messages = session.scalars(
        select(HandoverMessage)
        .where(HandoverMessage.handover_id.in_(handovers))
        .order_by(HandoverMessage.id)
    ).all()
    return IntakeExport(
        exported_at=utcnow(),
        record=to_public(record),
        bookings=[
            ExportBooking(
                booking_code=b.booking_code,
                status=b.status.value,
                starts_at=b.slot.starts_at,
                service=b.slot.service.code,
            )
            for b in bookings
        ],
        tickets=[
            ExportTicket(number=t.number, day=t.service_day, status=t.status.value) for t in tickets
        ],
        chat_with_desk=[
            ExportMessage(sender=m.sender, language=m.language, text=m.text, sent_at=m.created_at)
            for m in messages
        ],
    )


def erase_record(
    *,
    session: Session,
    record: IntakeRecord,
    actor: ActorType,
    actor_id: int | None = None,
    reason: str,
) -> None:
    """Deletes the record with everything that names the client: household, consents, chats with
    the desk, queued chat messages, cached translations, conversation events; frees future slots;
    keeps statistics."""
    now = utcnow()
    for booking in session.scalars(
        select(Booking).where(
            Booking.intake_id == record.id, Booking.status == BookingStatus.booked
        )
    ):
        if booking.slot.starts_at > now:
            session.execute(
                update(Slot)
                .where(Slot.id == booking.slot_id, Slot.booked > 0)
                .values(booked=Slot.booked - 1)
            )
        booking.status = BookingStatus.cancelled
        booking.cancelled_at = now
    booking_codes = list(
        session.scalars(select(Booking.booking_code).where(Booking.intake_id == record.id))
    )
    session.execute(
        update(Booking)
        .where(Booking.intake_id == record.id)
        .values(intake_id=None, conversation_id=None)
    )
    # Stored answers naming the record (its PIN in the consent receipt) or its bookings.
    session.execute(
        delete(IdempotencyKey).where(
            or_(
                *(
                    IdempotencyKey.response_body.contains(code, autoescape=True)
                    for code in [record.reference_code, *booking_codes]
                )
            )
        )
    )
    conversations = {record.conversation_id} if record.conversation_id else set()
    conversations |= set(
        session.scalars(
            select(QueueTicket.conversation_id).where(
                QueueTicket.intake_id == record.id, QueueTicket.conversation_id.is_not(None)
            )
        )
    )
    conversations |= set(
        session.scalars(select(Handover.conversation_id).where(Handover.intake_id == record.id))
    )
    if conversations:  # the bot's Idempotency-Keys name its chat
        session.execute(
            delete(IdempotencyKey).where(
                or_(*(IdempotencyKey.key.contains(c, autoescape=True) for c in conversations))
            )
        )
    handovers = select(Handover.id).where(
        or_(Handover.intake_id == record.id, Handover.conversation_id.in_(conversations))
    )
    chat_texts = list(
        session.scalars(
            select(HandoverMessage.text).where(HandoverMessage.handover_id.in_(handovers))
        )
    )
    session.execute(delete(HandoverMessage).where(HandoverMessage.handover_id.in_(handovers)))
    session.execute(delete(Handover).where(Handover.id.in_(handovers)))
    session.execute(delete(Notification).where(Notification.conversation_id.in_(conversations)))
    session.execute(
        update(QueueTicket)
        .where(QueueTicket.intake_id == record.id)
        .values(
            intake_id=None,
            concern_text=None,
            conversation_id=None,
            output_channel=None,
            routing_rule=None,
            routing_reason_key=None,
        )
    )
    forget_texts(
        session=session,
        texts=[getattr(record, field) or "" for field in FREE_TEXT_FIELDS] + chat_texts,
    )
    record_event(
        session=session,
        actor_type=actor,
        actor_id=actor_id,
        action="intake.erased",
        subject_type="intake",
        subject_id=record.id,
        site_id=record.site_id,
        details={"reason": reason},
    )
    session.delete(record)
    session.flush()
    if conversations:
        from kiosk_api.retention.tracker import delete_conversation

        for conversation_id in conversations:
            delete_conversation(conversation_id)


def records_due_for_erasure(
    *, session: Session, site_id: int, retention_days: int, now: datetime
) -> list[IntakeRecord]:
    """Records untouched for the retention period, unless the client still has an appointment
    ahead."""
    upcoming = (
        select(Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(
            Booking.intake_id == IntakeRecord.id,
            Booking.status == BookingStatus.booked,
            Slot.starts_at > now,
        )
        .exists()
    )
    cutoff = now - timedelta(days=retention_days)
    return list(
        session.scalars(
            select(IntakeRecord).where(
                IntakeRecord.site_id == site_id, IntakeRecord.updated_at < cutoff, ~upcoming
            )
        )
    )
