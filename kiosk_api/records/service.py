"""Staff reads of intake records: every read, export and print is audited."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kiosk_api.appointments.schemas import BookingPublic
from kiosk_api.appointments.service import book, booking_public, day_bounds
from kiosk_api.audit.service import record_event
from kiosk_api.errors import Forbidden, NotFound
from kiosk_api.i18n import format_date, language_name, translate
from kiosk_api.intake.schemas import IntakeExport
from kiosk_api.intake.service import FREE_TEXT_FIELDS, export_record, to_public
from kiosk_api.models import (
    Booking,
    Handover,
    IntakeRecord,
    QueueTicket,
    Site,
    Slot,
    StaffUser,
    utcnow,
)
from kiosk_api.models.enums import ROLE_RANK, ActorType, BookingStatus, HandoverStatus, StaffRole
from kiosk_api.queue.desk_view import DESK_LOCALE
from kiosk_api.queue.service import site_today
from kiosk_api.records.schemas import IntakeStaffView, LabelledValue, StaffBookingCreate
from kiosk_api.routing.service import route
from kiosk_api.security import format_code
from kiosk_api.translation.service import to_german

_COUNTRIES_DE = Locale("de").territories
# Fields in the order of the paper Anmeldebogen; free-text fields are machine-translated for the
# desk.
SHEET_FIELDS = (
    "family_name",
    "given_name",
    "family_name_own_spelling",
    "given_name_own_spelling",
    "birth_date",
    "nationality",
    "preferred_language",
    "languages_spoken",
    "german_level",
    "interpreter_needed",
    "phone",
    "email",
    "address",
    "registration_certificate",
    "residence_status",
    "residence_status_issued_on",
    "asylblg_since",
    "sgb2_elsewhere_since",
    "sgb2_elsewhere_office",
    "integration_course_status",
    "integration_course_level",
    "schooling",
    "vocational_training",
    "profession",
    "work_experience",
    "foreign_qualifications",
    "recognition_started",
    "concern",
    "concern_text",
)
ENUM_FIELDS = {
    "residence_status": "residence_status",
    "integration_course_status": "course_status",
    "concern": "concern",
}


class OutsideTodaysWork(NotFound):
    """The desk asked for a record no ticket, booking or hand-over of today leads to: answered like
    an unknown id, and the refusal's audit row is kept."""

    code = "record_not_found"
    keep_changes = True


class CaseworkerRequired(Forbidden):
    """Export and print are for caseworkers; the refusal's audit row is kept."""

    code = "role_required"
    keep_changes = True

    def __init__(self) -> None:
        super().__init__(details={"required_role": StaffRole.caseworker.value})


def staff_record(*, session: Session, site: Site, record_id: int) -> IntakeRecord:
    record = session.get(IntakeRecord, record_id)
    if record is None or record.site_id != site.id:
        raise NotFound("record_not_found")
    return record


def behind_todays_work(*, session: Session, site: Site, record: IntakeRecord, today: date) -> bool:
    """Whether one of the site's tickets of `today`, bookings with a slot on `today`, or hand-overs
    open or started on `today` leads to the record."""
    ticket = select(QueueTicket.id).where(
        QueueTicket.site_id == site.id,
        QueueTicket.intake_id == record.id,
        QueueTicket.service_day == today,
    )
    start, end = day_bounds(site, today)
    booking = (
        select(Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(
            Slot.site_id == site.id,
            Booking.intake_id == record.id,
            Booking.status != BookingStatus.cancelled,
            Slot.starts_at >= start,
            Slot.starts_at < end,
        )
    )
    same_client = Handover.intake_id == record.id
    if record.conversation_id:
        same_client = or_(same_client, Handover.conversation_id == record.conversation_id)
    handover = select(Handover.id).where(
        Handover.site_id == site.id,
        same_client,
        or_(
            Handover.status == HandoverStatus.open,
            (Handover.created_at >= start) & (Handover.created_at < end),
        ),
    )
    return any(session.scalar(query.limit(1)) is not None for query in (ticket, booking, handover))


def _refuse(
    *, session: Session, site: Site, staff: StaffUser, record_id: int, wanted: str, reason: str
) -> None:
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff.id,
        action="intake.read_refused",
        subject_type="intake",
        subject_id=record_id,
        site_id=site.id,
        details={"reason": reason, "wanted": wanted, "role": staff.role.value},
    )


# What staff may want of a record that the desk role may not have at all.
CASEWORKER_ONLY = frozenset({"export_json", "print"})


def record_for_staff(
    *,
    session: Session,
    site: Site,
    record_id: int,
    staff: StaffUser,
    wanted: str,
    now: datetime | None = None,
) -> IntakeRecord:
    """The record, if this staff member may see it: caseworkers and admins any of the site's, the
    desk only those behind today's work (`now`: the clock, for tests). Export and print are for
    caseworkers. Booking for a record is scoped like a read: else a desk booking of a slot today
    would bring any record into today's work. Every refusal is audited."""
    if ROLE_RANK[staff.role] >= ROLE_RANK[StaffRole.caseworker]:
        return staff_record(session=session, site=site, record_id=record_id)
    if wanted in CASEWORKER_ONLY:
        _refuse(
            session=session,
            site=site,
            staff=staff,
            record_id=record_id,
            wanted=wanted,
            reason="role_required",
        )
        raise CaseworkerRequired()
    record = session.get(IntakeRecord, record_id)
    if (
        record is None
        or record.site_id != site.id
        or not behind_todays_work(
            session=session, site=site, record=record, today=site_today(site, now)
        )
    ):
        _refuse(
            session=session,
            site=site,
            staff=staff,
            record_id=record_id,
            wanted=wanted,
            reason="not_found" if record is None else "not_in_todays_work",
        )
        raise OutsideTodaysWork()
    return record


def audit_read(*, session: Session, record: IntakeRecord, staff: StaffUser, action: str) -> None:
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff.id,
        action=action,
        subject_type="intake",
        subject_id=record.id,
        site_id=record.site_id,
    )


def _display(field: str, value: object) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, bool):
        return translate("common.yes" if value else "common.no", DESK_LOCALE)
    if isinstance(value, date):
        return format_date(value, DESK_LOCALE, format="medium")
    if field in ENUM_FIELDS:
        return translate(f"{ENUM_FIELDS[field]}.{getattr(value, 'value', value)}", DESK_LOCALE)
    if field == "nationality":
        return _COUNTRIES_DE.get(str(value), str(value))
    if field == "preferred_language":
        return language_name(str(value), DESK_LOCALE)
    if field == "languages_spoken":
        return ", ".join(language_name(code, DESK_LOCALE) for code in value)  # type: ignore[union-attr]
    return str(getattr(value, "value", value))


def labelled_fields(session: Session, record: IntakeRecord) -> list[LabelledValue]:
    lines = []
    for field in SHEET_FIELDS:
        raw = getattr(record, field)
        translation = (
            to_german(session=session, text=raw, source_language=record.preferred_language)
            if field in FREE_TEXT_FIELDS and raw
            else None
        )
        lines.append(
            LabelledValue(
                field=field,
                label=translate(f"field.{field}", DESK_LOCALE),
                value=_display(field, raw),
                translation=translation,
            )
        )
    for index, member in enumerate(record.household, start=1):
        parts = [
            translate(f"household_relation.{member.relation.value}", DESK_LOCALE),
            member.given_name or "",
            format_date(member.birth_date, DESK_LOCALE, format="medium")
            if member.birth_date
            else "",
        ]
        lines.append(
            LabelledValue(
                field=f"household.{index}",
                label=translate("field.household_member", DESK_LOCALE),
                value=" · ".join(p for p in parts if p),
            )
        )
    return lines


def staff_view(
    *, session: Session, site: Site, record: IntakeRecord, staff: StaffUser
) -> IntakeStaffView:
    audit_read(session=session, record=record, staff=staff, action="intake.read")
    return IntakeStaffView(
        record_id=record.id,
        reference_code=format_code(record.reference_code),
        language_name=language_name(record.preferred_language, DESK_LOCALE),
        fields=labelled_fields(session, record),
        routing=route(session=session, site=site, record=record, locale=DESK_LOCALE),
        record=to_public(record),
        read_at=utcnow(),
    )


# --- what the routes answer: one function per route ----------------------------------------------


def read_for_staff(
    *, session: Session, site: Site, record_id: int, staff: StaffUser
) -> IntakeStaffView:
    return staff_view(
        session=session,
        site=site,
        record=record_for_staff(
            session=session, site=site, record_id=record_id, staff=staff, wanted="read"
        ),
        staff=staff,
    )


def export_for_staff(
    *, session: Session, site: Site, record_id: int, staff: StaffUser
) -> IntakeExport:
    record = record_for_staff(
        session=session, site=site, record_id=record_id, staff=staff, wanted="export_json"
    )
    audit_read(session=session, record=record, staff=staff, action="intake.exported_json")
    return export_record(session=session, record=record)


def sheet_for_staff(
    *, session: Session, site: Site, record_id: int, staff: StaffUser
) -> IntakeStaffView:
    """The view the printed sheet shows; audited as read and as printed."""
    record = record_for_staff(
        session=session, site=site, record_id=record_id, staff=staff, wanted="print"
    )
    view = staff_view(session=session, site=site, record=record, staff=staff)
    audit_read(session=session, record=record, staff=staff, action="intake.printed")
    return view


def book_for_client(
    *, session: Session, site: Site, payload: StaffBookingCreate, staff: StaffUser
) -> BookingPublic:
    """The desk books for a client with a record, or anonymously (the answer then holds the PIN
    once)."""
    record = (
        record_for_staff(
            session=session, site=site, record_id=payload.intake_id, staff=staff, wanted="book"
        )
        if payload.intake_id
        else None
    )
    booking, pin = book(
        session=session,
        site=site,
        slot_id=payload.slot_id,
        language=payload.language,
        record=record,
        actor=ActorType.staff,
        actor_id=staff.id,
    )
    return booking_public(booking, pin=pin)
