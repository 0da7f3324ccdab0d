"""Retention: erase what the site no longer needs; safe to run from cron as often as you like."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kiosk_api.intake.service import erase_record, records_due_for_erasure
from kiosk_api.models import (
    Booking,
    Handover,
    HandoverMessage,
    IdempotencyKey,
    Notification,
    QueueTicket,
    Site,
    Slot,
    StaffSession,
)
from kiosk_api.models.enums import ActorType
from kiosk_api.retention.tracker import TrackerStoreUnreachable, purge_conversations
from kiosk_api.translation.service import purge_cache

log = logging.getLogger("lotse.retention")
# Stored answers can hold a PIN shown once (consent, anonymous booking): keep them one day only.
IDEMPOTENCY_KEY_DAYS = 1


@dataclass
class PurgeReport:
    records_erased: int = 0
    ticket_texts_cleared: int = 0
    idempotency_keys_deleted: int = 0
    staff_sessions_deleted: int = 0
    translations_deleted: int = 0
    handovers_deleted: int = 0
    notifications_deleted: int = 0
    conversation_events_deleted: int = 0
    erasures_failed: int = 0
    per_site: dict[str, int] = field(default_factory=dict)


def purge(*, session: Session, now: datetime, dry_run: bool = False) -> PurgeReport:
    report = PurgeReport()
    for site in session.scalars(select(Site)):
        due = records_due_for_erasure(
            session=session, site_id=site.id, retention_days=site.retention_days, now=now
        )
        report.per_site[site.code] = len(due)
        report.records_erased += len(due)
        if dry_run:
            continue
        for record in due:
            try:
                with session.begin_nested():
                    erase_record(
                        session=session,
                        record=record,
                        actor=ActorType.system,
                        reason="retention_period",
                    )
            except (SQLAlchemyError, TrackerStoreUnreachable):
                # e.g. the tracker store is unreachable: this record stays for the next run, the
                # others go now
                log.warning(
                    "erasure of record %s failed; retried on the next run", record.id, exc_info=True
                )
                report.records_erased -= 1
                report.erasures_failed += 1
        cutoff = now - timedelta(days=site.retention_days)
        cleared = session.execute(
            update(QueueTicket)
            .where(
                QueueTicket.site_id == site.id,
                QueueTicket.arrived_at < cutoff,
                QueueTicket.concern_text.is_not(None),
            )
            .values(concern_text=None)
        )
        report.ticket_texts_cleared += cleared.rowcount or 0
        session.execute(
            update(QueueTicket)
            .where(QueueTicket.site_id == site.id, QueueTicket.arrived_at < cutoff)
            .values(
                conversation_id=None,
                output_channel=None,
                routing_rule=None,
                routing_reason_key=None,
            )
        )
        # A booking made in a chat names it (the bot's proof); once long past, that link goes.
        session.execute(
            update(Booking)
            .where(
                Booking.conversation_id.is_not(None),
                Booking.slot_id.in_(
                    select(Slot.id).where(Slot.site_id == site.id, Slot.ends_at < cutoff)
                ),
            )
            .values(conversation_id=None)
        )
        old_handovers = select(Handover.id).where(
            Handover.site_id == site.id, Handover.created_at < cutoff
        )
        session.execute(
            delete(HandoverMessage).where(HandoverMessage.handover_id.in_(old_handovers))
        )
        report.handovers_deleted += (
            session.execute(delete(Handover).where(Handover.id.in_(old_handovers))).rowcount or 0
        )
    if not dry_run:
        keys = session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.created_at < now - timedelta(days=IDEMPOTENCY_KEY_DAYS)
            )
        )
        report.idempotency_keys_deleted = keys.rowcount or 0
        sessions = session.execute(
            delete(StaffSession).where(StaffSession.expires_at < now - timedelta(days=1))
        )
        report.staff_sessions_deleted = sessions.rowcount or 0
        delivered = delete(Notification).where(
            Notification.sent_at.is_not(None), Notification.sent_at < now - timedelta(days=1)
        )
        abandoned = delete(Notification).where(
            Notification.created_at < now - timedelta(days=IDEMPOTENCY_KEY_DAYS + 6)
        )
        report.notifications_deleted = (session.execute(delivered).rowcount or 0) + (
            session.execute(abandoned).rowcount or 0
        )
        retention = [site.retention_days for site in session.scalars(select(Site))]
        shortest = min(retention, default=90)
        report.translations_deleted = purge_cache(
            session=session, older_than=now - timedelta(days=shortest)
        )
        # A chat belongs to no site until it is linked to a record: it goes after the longest period
        # of any site.
        try:
            report.conversation_events_deleted = purge_conversations(
                last_active_before=now - timedelta(days=max(retention, default=90))
            )
        except TrackerStoreUnreachable:
            log.warning("tracker store unreachable: old conversations are purged on the next run")
    session.flush()
    return report


def purge_now() -> PurgeReport:
    """One purge in its own transaction (the service's timer and `lotse purge`)."""
    from kiosk_api.db import session_scope
    from kiosk_api.models import utcnow

    with session_scope(write=True) as session:
        report = purge(session=session, now=utcnow())
    log.info("purge: %s records erased, %s failed", report.records_erased, report.erasures_failed)
    return report
