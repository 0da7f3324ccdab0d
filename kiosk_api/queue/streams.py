"""Server-sent events for the queue's screens: the desk's queue, the lobby call display, a client's
ticket.

Each stream polls a snapshot once a second in a worker thread and sends it when it changes; screens
that follow the same data share one database read per poll. Not in the OpenAPI schema: an endless
response that schema tools would read to its end.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api import i18n
from kiosk_api.config import get_settings
from kiosk_api.db import get_sessionmaker
from kiosk_api.deps import client_address
from kiosk_api.errors import LotseError, NotFound, Unauthorized
from kiosk_api.models import QueueTicket, Site
from kiosk_api.models.enums import OPEN_TICKET_STATUSES
from kiosk_api.queue import service
from kiosk_api.staff.service import staff_for_token

STREAM_POLL_SECONDS = 1.0
STREAM_KEEPALIVE_SECONDS = 15.0
# A stream ends after this long and the page reconnects: no connection is held forever.
STREAM_MAX_SECONDS = 600.0


class StreamsBusy(LotseError):
    status_code = 503
    code = "too_many_streams"


# --- the engine ----------------------------------------------------------------------------------


@dataclass
class StreamPool:
    """The open streams of one kind (public or staff), in total and per client address.

    Counted where the stream runs, on the event loop's one thread; admission reads the counts, so
    a burst of simultaneous openings may pass the cap by the few in flight, never more."""

    kind: str
    total: int = 0
    by_address: Counter[str] = field(default_factory=Counter)

    def admit(self, address: str, *, most: int, most_per_address: int) -> None:
        if self.total >= most or self.by_address[address] >= most_per_address:
            raise StreamsBusy(details={"streams": self.kind}, headers={"Retry-After": "5"})

    def opened(self, address: str) -> None:

        self.total += 1
        self.by_address[address] += 1

    def closed(self, address: str) -> None:
        self.total -= 1
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]


# Staff screens have their own pool: a crowd of public pages cannot lock the desks out.
PUBLIC_STREAMS = StreamPool("public")
STAFF_STREAMS = StreamPool("staff")


_shared: dict[str, tuple[float, Any]] = {}
_shared_lock = threading.Lock()


def _read(snapshot: Callable[[Session], Any]) -> Any:
    with get_sessionmaker()() as session:
        return snapshot(session)


def _shared_read(key: str, snapshot: Callable[[Session], Any]) -> Any:
    """One database read per key and poll interval, however many screens follow the same data."""
    now = time.monotonic()
    with _shared_lock:
        cached = _shared.get(key)
        if cached is not None and now - cached[0] < STREAM_POLL_SECONDS * 0.9:
            return cached[1]
    value = _read(snapshot)
    with _shared_lock:
        _shared[key] = (now, value)
    return value


async def _events(
    request: Request, event: str, snapshot: Callable[[Session], Any], pool: StreamPool, address: str
) -> AsyncIterator[str]:
    """Sends `event` with the snapshot whenever it changes (polled once a second), else a
    keep-alive."""
    pool.opened(address)
    started = last_sent = time.monotonic()
    previous: Any = object()
    try:
        yield "retry: 2000\n\n"
        while time.monotonic() - started < STREAM_MAX_SECONDS:
            if await request.is_disconnected():
                break
            try:
                current = await run_in_threadpool(_read, snapshot)
            except Unauthorized:
                yield "event: unauthorized\ndata: {}\n\n"
                break
            except LotseError as error:  # e.g. the ticket was erased meanwhile: say so, then end
                yield f"event: gone\ndata: {json.dumps({'code': error.code})}\n\n"
                break
            if current != previous:
                previous = current
                last_sent = time.monotonic()
                yield f"event: {event}\ndata: {json.dumps(current, ensure_ascii=False)}\n\n"
            elif time.monotonic() - last_sent > STREAM_KEEPALIVE_SECONDS:
                last_sent = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(STREAM_POLL_SECONDS)
    finally:
        pool.closed(address)


def _stream(
    request: Request,
    event: str,
    snapshot: Callable[[Session], Any],
    pool: StreamPool = PUBLIC_STREAMS,
) -> StreamingResponse:
    settings = get_settings()
    most = settings.staff_streams_max if pool is STAFF_STREAMS else settings.public_streams_max
    address = client_address(request)
    pool.admit(address, most=most, most_per_address=settings.streams_per_address_max)
    return StreamingResponse(
        _events(request, event, snapshot, pool, address),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("site_not_configured")
    return site


# --- what the screens follow ---------------------------------------------------------------------


def _today_rows(session: Session, site: Site) -> list[tuple]:  # type: ignore[type-arg]
    today = service.site_today(site)
    return list(
        session.execute(
            select(
                QueueTicket.id,
                QueueTicket.status,
                QueueTicket.desk,
                QueueTicket.handed_to_service_id,
                QueueTicket.called_at,
            )
            .where(QueueTicket.site_id == site.id, QueueTicket.service_day == today)
            .order_by(QueueTicket.id)
        ).all()
    )


def queue_versions(session: Session, site: Site) -> dict[str, Any]:
    """`version` changes whenever a ticket of today arrives, is called, handed over or finished;
    `tickets` maps each open ticket's id to its version (QueueEntry.version), so a screen re-reads
    only the tickets that changed and drops those no longer named."""
    overall = hashlib.sha256()
    tickets: dict[str, str] = {}
    for row in _today_rows(session, site):
        version = service.ticket_version(*row)
        overall.update(version.encode())
        if row.status in OPEN_TICKET_STATUSES:
            tickets[str(row.id)] = version
    return {"version": overall.hexdigest(), "tickets": tickets}


def display_calls(session: Session, site: Site) -> list[dict[str, str | None]]:
    """The lobby display: number, desk and the call text in the client's language; no names."""
    calls = []
    for ticket in service.recent_calls(session=session, site=site):
        number = service.display_number(ticket.number)
        desk = ticket.desk or ""
        text = i18n.translate_text("display.call", ticket.language, number=number, desk=desk)
        calls.append(
            {
                "display_number": number,
                "desk": ticket.desk,
                "language": text.language,
                "direction": i18n.direction(text.language),
                "text": text.text,
                "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
            }
        )
    return calls


# --- the streams ---------------------------------------------------------------------------------


def queue_stream(*, request: Request, site_id: int, token: str) -> StreamingResponse:
    """`queue` with the queue's version and each ticket's whenever today's queue changes;
    `unauthorized` once the login is revoked or expires."""

    def snapshot(session: Session) -> dict[str, Any]:
        staff_for_token(session=session, token=token)
        versions: dict[str, Any] = _shared_read(
            f"queue:{site_id}", lambda s: queue_versions(s, _site(s, site_id))
        )
        return versions

    return _stream(request, "queue", snapshot, STAFF_STREAMS)


def display_stream(*, request: Request, site_id: int) -> StreamingResponse:
    """`calls` with the latest calls (number, desk, text in the client's language; no names)."""
    key = f"display:{site_id}"
    return _stream(
        request,
        "calls",
        lambda session: _shared_read(key, lambda s: display_calls(s, _site(s, site_id))),
    )


def ticket_stream(*, request: Request, ticket_code: str) -> StreamingResponse:
    """`ticket` with the ticket's status and position whenever they change; `gone` once it is
    erased."""

    def snapshot(session: Session) -> dict[str, Any]:
        return service.ticket_public(
            session, service.find_ticket(session=session, ticket_code=ticket_code)
        ).model_dump(mode="json")

    return _stream(request, "ticket", snapshot)
