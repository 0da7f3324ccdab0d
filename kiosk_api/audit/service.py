"""Audit trail and anonymous statistics. Neither ever holds personal data."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from kiosk_api.models import AuditEvent, StatisticEvent, utcnow
from kiosk_api.models.enums import ActorType


def record_event(
    *,
    session: Session,
    actor_type: ActorType,
    action: str,
    subject_type: str,
    subject_id: int | None,
    site_id: int | None,
    actor_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            site_id=site_id,
            details=details or {},
        )
    )


def record_read(
    *,
    session: Session,
    actor_id: int,
    action: str,
    subject_type: str,
    site_id: int,
    details: dict[str, Any],
) -> None:
    """A staff member's read in the audit trail, written at once with one statement: a read has no
    other changes to flush, and a unit of work for one row costs more than the statement."""
    session.execute(
        insert(AuditEvent.__table__).values(
            at=utcnow(),
            actor_type=ActorType.staff,
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=None,
            site_id=site_id,
            details=details,
        )
    )


def count_statistic(
    *,
    session: Session,
    site_id: int,
    kind: str,
    day: date,
    language: str | None,
    concern: str | None,
    service_code: str | None,
) -> None:
    session.add(
        StatisticEvent(
            site_id=site_id,
            kind=kind,
            day=day,
            language=language,
            concern=concern,
            service_code=service_code,
        )
    )
