"""Outbox of pushes into a client's chat, and the turn reminders computed from the queue."""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kiosk_api.models import Notification, QueueTicket
from kiosk_api.models.enums import TicketStatus

NEAR_POSITION = 3
# Set once a transaction that queued a push commits, so the dispatcher sends it at once instead of at its next poll.
pushes_waiting = threading.Event()
_QUEUED_FLAG = "lotse_pushes_queued"


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED_FLAG, False):
        pushes_waiting.set()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED_FLAG, None)


def enqueue(*, session: Session, conversation_id: str, output_channel: str, intent: str, entities: dict[str, Any]) -> Notification:
    notification = Notification(conversation_id=conversation_id, output_channel=output_channel, intent=intent, entities=entities)
    session.add(notification)
    session.info[_QUEUED_FLAG] = True
    session.flush()
    return notification


def remind_turns(*, session: Session, site_id: int, called: QueueTicket | None = None) -> None:
    """After a queue change: tell chat clients whose turn is near (once) and the one just called."""
    from kiosk_api.queue.service import position_of

    if called is not None and called.conversation_id and called.status is TicketStatus.called:
        enqueue(session=session, conversation_id=called.conversation_id, output_channel=called.output_channel or "latest",
                intent="EXTERNAL_ticket_called", entities={"ticket_number": f"{called.number:03d}", "desk": called.desk or ""})
    waiting = session.scalars(
        select(QueueTicket).where(
            QueueTicket.site_id == site_id, QueueTicket.status == TicketStatus.waiting, QueueTicket.conversation_id.is_not(None),
            QueueTicket.near_reminded.is_(False),
        )
    )
    for ticket in waiting:
        position = position_of(session, ticket)
        if position is not None and position < NEAR_POSITION:
            ticket.near_reminded = True
            enqueue(session=session, conversation_id=ticket.conversation_id or "", output_channel=ticket.output_channel or "latest",
                    intent="EXTERNAL_ticket_near", entities={"ticket_number": f"{ticket.number:03d}", "position": position + 1})
    session.flush()
