"""Consent comes first: a record exists only once the client agreed to the current notice."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kiosk_api.audit.service import record_event
from kiosk_api.consent.schemas import (
    ConsentCreate,
    ConsentNotice,
    ConsentReceipt,
    NoticeScope,
    PinIssued,
)
from kiosk_api.content import service as content_service
from kiosk_api.errors import Conflict, Forbidden
from kiosk_api.intake.service import REFERENCE_PREFIX, erase_record
from kiosk_api.models import ConsentRecord, IntakeRecord, Site, utcnow
from kiosk_api.models.enums import ActorType
from kiosk_api.security import format_code, hash_secret, new_code, new_pin

NOTICE_TOPIC = "privacy_notice"


def current_notice(language: str) -> ConsentNotice:
    item = content_service.get_topic(
        store=content_service.get_store(), topic=NOTICE_TOPIC, language=language
    )
    return ConsentNotice(
        version=str(item.version),
        language=item.language,
        fallback_language=item.fallback_language,
        direction=item.direction,
        title=item.title,
        text="\n\n".join([item.summary, *item.body]),
        scopes=[
            NoticeScope(code=scope.id, title=scope.title, text=scope.text)
            for scope in item.scopes or []
        ],
        valid_as_of=item.valid_as_of,
    )


def record_consent(
    *, session: Session, site: Site, payload: ConsentCreate, actor: ActorType
) -> ConsentReceipt:
    if payload.conversation_id is not None and actor is not ActorType.bot:
        raise Forbidden("bot_only")  # erasure deletes that conversation: only the bot may name one
    notice = current_notice(payload.language)
    if payload.notice_version != notice.version:
        raise Conflict("notice_version_outdated", details={"current_version": notice.version})
    reference_code = new_code(REFERENCE_PREFIX)
    pin = new_pin()
    record = IntakeRecord(
        site_id=site.id,
        reference_code=reference_code,
        pin_hash=hash_secret(reference_code, pin),
        channel=payload.channel,
        preferred_language=payload.language,
        languages_spoken=[payload.language],
        conversation_id=payload.conversation_id,
    )
    consent = ConsentRecord(
        notice_version=notice.version,
        language=payload.language,
        channel=payload.channel,
        share_foreigners_authority=payload.scopes.foreigners_authority,
        share_social_welfare=payload.scopes.social_welfare,
        given_at=utcnow(),
    )
    record.consents.append(consent)
    session.add(record)
    session.flush()
    record_event(
        session=session,
        actor_type=actor,
        action="consent.given",
        subject_type="intake",
        subject_id=record.id,
        site_id=site.id,
        details={"notice_version": notice.version, "channel": payload.channel.value},
    )
    return ConsentReceipt(
        reference_code=reference_code,
        reference_code_display=format_code(reference_code),
        pin=pin,
        consent_id=consent.id,
        notice_version=notice.version,
        given_at=consent.given_at,
    )


def issue_pin(*, session: Session, record: IntakeRecord, actor: ActorType) -> PinIssued:
    """Replaces the record's PIN with a fresh one: the chat shows it when the pre-registration is
    done, so it keeps no PIN in the meantime; the consent receipt's PIN stops working."""
    pin = new_pin()
    record.pin_hash = hash_secret(record.reference_code, pin)
    session.flush()
    record_event(
        session=session,
        actor_type=actor,
        action="intake.pin_issued",
        subject_type="intake",
        subject_id=record.id,
        site_id=record.site_id,
    )
    return PinIssued(
        reference_code=record.reference_code,
        reference_code_display=format_code(record.reference_code),
        pin=pin,
    )


def withdraw_consent(*, session: Session, record: IntakeRecord, actor: ActorType) -> None:
    """Withdrawal erases the record (Art. 7(3) GDPR); anonymous statistics stay."""
    for consent in record.consents:
        consent.withdrawn_at = consent.withdrawn_at or utcnow()
    erase_record(session=session, record=record, actor=actor, reason="consent_withdrawn")
