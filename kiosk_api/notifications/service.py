"""Outbox of pushes into a client's chat; a commit that queued one wakes the dispatcher at once."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from kiosk_api.models import Notification

# Set once a transaction that queued a push commits, so the dispatcher sends it at once instead of
# at its next poll.
pushes_waiting = threading.Event()
_QUEUED_FLAG = "lotse_pushes_queued"


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED_FLAG, False):
        pushes_waiting.set()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED_FLAG, None)


def enqueue(
    *,
    session: Session,
    conversation_id: str,
    output_channel: str,
    intent: str,
    entities: dict[str, Any],
) -> Notification:
    notification = Notification(
        conversation_id=conversation_id,
        output_channel=output_channel,
        intent=intent,
        entities=entities,
    )
    session.add(notification)
    session.info[_QUEUED_FLAG] = True
    session.flush()
    return notification
