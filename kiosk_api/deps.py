"""Named, typed dependencies used by the routers."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk_api.config import Settings, get_settings
from kiosk_api.db import begin_write, get_sessionmaker
from kiosk_api.errors import Forbidden, LotseError, NotFound, Unauthorized
from kiosk_api.intake.service import Proof
from kiosk_api.models import Site, StaffUser
from kiosk_api.models.enums import ROLE_RANK, ActorType, StaffRole
from kiosk_api.ratelimit import limiter
from kiosk_api.security import constant_time_equals
from kiosk_api.staff.service import staff_for_token

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Staff reads are audited, so they write too: on SQLite a read transaction that writes later fails
# with "database is locked" once another request committed meanwhile, so they start as writers.
AUDITED_READ_PREFIX = "/api/v1/staff/"


# A read with a PIN or date of birth counts failed attempts, so it may write as well.
PROOF_HEADERS = (b"x-lotse-pin", b"x-lotse-birth-date")


# Login checks an argon2 hash (~0.2 s) first: it must not hold the write lock meanwhile.
LOGIN_PATH = "/api/v1/staff/login"


def writes(request: Request) -> bool:
    if request.url.path == LOGIN_PATH:
        return False
    if request.method in WRITE_METHODS:
        return True
    if request.url.path.startswith(AUDITED_READ_PREFIX) and get_settings().is_sqlite:
        return True
    return any(name in PROOF_HEADERS for name, _ in request.scope.get("headers", ()))


_write_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def write_gate(request: Request) -> AsyncIterator[None]:
    """Caps the write transactions in flight per process; the rest wait here without holding a
    worker thread.

    Writers waiting on a lock (SQLite's BEGIN IMMEDIATE, a PostgreSQL row lock) hold threads; if
    they took every thread of the pool, the lock holder could not get one to finish, and nobody
    would."""
    if not writes(request):
        yield
        return
    settings = get_settings()
    loop = asyncio.get_running_loop()
    gate = _write_gates.get(loop)
    if gate is None:
        gate = _write_gates[loop] = asyncio.Semaphore(
            1 if settings.is_sqlite else settings.write_concurrency
        )
    async with gate:
        yield


def get_session(
    request: Request, _gate: Annotated[None, Depends(write_gate, scope="function")]
) -> Iterator[Session]:
    session = get_sessionmaker()()
    try:
        if writes(request):
            begin_write(session)
        yield session
        session.commit()
    except LotseError as error:
        session.commit() if error.keep_changes else session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a client never sees success for lost
# data.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True)
class Caller:
    """Who is calling the public API: an anonymous client (by address) or the bot's action
    server."""

    actor_type: ActorType
    key: str

    @property
    def is_bot(self) -> bool:
        return self.actor_type is ActorType.bot


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_caller(
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    if authorization and authorization.startswith("Bearer "):
        token = authorization.removeprefix("Bearer ").strip()
        if not constant_time_equals(token, settings.bot_token):
            raise Unauthorized("invalid_service_token")
        caller = Caller(ActorType.bot, "bot")
        limiter.hit("bot", caller.key, limit=settings.rate_limit_bot_per_minute)
        return caller
    caller = Caller(ActorType.client, client_address(request))
    limiter.hit("public", caller.key, limit=settings.rate_limit_public_per_minute)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_site(session: SessionDep, settings: SettingsDep) -> Site:
    site = session.scalar(select(Site).where(Site.code == settings.default_site))
    if site is None:
        raise NotFound("site_not_configured")
    return site


SiteDep = Annotated[Site, Depends(get_site)]


def get_current_staff(
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StaffUser:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})
    return staff_for_token(session=session, token=authorization.removeprefix("Bearer ").strip())


def require_role(role: StaffRole):  # type: ignore[no-untyped-def]
    def _check(staff: Annotated[StaffUser, Depends(get_current_staff)]) -> StaffUser:
        if ROLE_RANK[staff.role] < ROLE_RANK[role]:
            raise Forbidden("role_required", details={"required_role": role.value})
        return staff

    return _check


CurrentStaff = Annotated[StaffUser, Depends(get_current_staff)]
DeskStaff = Annotated[StaffUser, Depends(require_role(StaffRole.desk))]
CaseworkerStaff = Annotated[StaffUser, Depends(require_role(StaffRole.caseworker))]
AdminStaff = Annotated[StaffUser, Depends(require_role(StaffRole.admin))]


def get_locale(request: Request) -> str:
    """The client's language for error messages and labels, from Accept-Language."""
    from kiosk_api.i18n import negotiate

    return negotiate(request.headers.get("accept-language"))


LocaleDep = Annotated[str, Depends(get_locale)]


# The client's own records: a reference code in the path, proved by PIN or date of birth in headers.
ReferenceCode = Annotated[
    str, Path(min_length=3, max_length=32, description="Reference code, e.g. LT-7K3M-9QXP")
]


def get_proof(
    x_lotse_pin: Annotated[str | None, Header(max_length=12, description="The 6-digit PIN")] = None,
    x_lotse_birth_date: Annotated[
        str | None, Header(max_length=10, description="Date of birth, YYYY-MM-DD")
    ] = None,
) -> Proof:
    return Proof(pin=x_lotse_pin, birth_date=x_lotse_birth_date)


ProofDep = Annotated[Proof, Depends(get_proof)]
