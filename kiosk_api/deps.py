"""Named, typed dependencies used by the routers."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.orm import Session

from kiosk_api.config import Settings, get_settings
from kiosk_api.db import begin_write, get_sessionmaker
from kiosk_api.devices.service import device_for_token
from kiosk_api.errors import Forbidden, LotseError, NotFound, Unauthorized
from kiosk_api.intake.service import Proof
from kiosk_api.models import Site, StaffUser
from kiosk_api.models.enums import ROLE_RANK, ActorType, StaffRole
from kiosk_api.ratelimit import limiter
from kiosk_api.security import constant_time_equals
from kiosk_api.sites import access as sites
from kiosk_api.staff.service import staff_for_token

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Staff reads are audited, so they write too: on SQLite a read transaction that writes later fails
# with "database is locked" once another request committed meanwhile, so they start as writers.
AUDITED_READ_PREFIX = "/api/v1/staff/"


# A read with a proof (PIN, date of birth, the bot's chat) counts failed attempts, so it may write.
PROOF_HEADERS = (b"x-lotse-pin", b"x-lotse-birth-date", b"x-lotse-conversation")


# Login and password change check argon2 hashes (~0.2 s each) outside the write lock: they open
# their writing transaction themselves, after the hash.
HASHING_PATHS = frozenset({"/api/v1/staff/login", "/api/v1/staff/me/password"})


def writes(request: Request) -> bool:
    if request.url.path in HASHING_PATHS:
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
    """Who is calling the public API: an anonymous client (by address), an enrolled kiosk (with
    its site) or the bot's action server, with the conversation it acts for when it names one."""

    actor_type: ActorType
    key: str
    conversation_id: str | None = None
    device_site_id: int | None = None

    @property
    def is_bot(self) -> bool:
        return self.actor_type is ActorType.bot

    @property
    def booking_source(self) -> str:
        """The narrowest bucket an anonymous booking counts against: a chat, a kiosk, an address."""
        if self.actor_type is ActorType.client:
            return f"address:{self.key}"
        if self.is_bot and self.conversation_id:
            return f"bot:conversation:{self.conversation_id}"
        return self.key


def _ip(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    # an IPv4 client on a dual-stack socket: one key whatever the socket
    mapped = address.ipv4_mapped if isinstance(address, IPv6Address) else None
    return mapped or address


def client_address(request: Request) -> str:
    """The client's address for limits: the TCP peer, or behind a trusted proxy the right-most
    X-Forwarded-For address that is none of ours (the left ones are whatever the client said)."""
    peer = request.client.host if request.client else "unknown"
    proxies = get_settings().trusted_proxies
    peer_ip = _ip(peer)
    if not proxies or peer_ip is None or not any(peer_ip in net for net in proxies):
        return peer
    hops = [hop for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    for hop in reversed(hops):
        hop_ip = _ip(hop)
        if hop_ip is None:
            return peer  # malformed: the proxy's own bucket, never one the client chose
        if not any(hop_ip in net for net in proxies):
            return str(hop_ip)
    # every hop is one of ours: the client sits inside the trusted network, first in the chain
    return str(_ip(hops[0])) if hops else peer


def get_caller(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_lotse_device: Annotated[str | None, Header(include_in_schema=False, max_length=128)] = None,
    x_lotse_conversation: Annotated[
        str | None, Header(include_in_schema=False, max_length=128)
    ] = None,
) -> Caller:
    if authorization and authorization.startswith("Bearer "):
        token = authorization.removeprefix("Bearer ").strip()
        if not constant_time_equals(token, settings.bot_token):
            raise Unauthorized("invalid_service_token")
        # Only the bot's own token may name a conversation: it books for many chats.
        caller = Caller(ActorType.bot, "bot", conversation_id=x_lotse_conversation or None)
        limiter.hit("bot", caller.key, limit=settings.rate_limit_bot_per_minute)
        return caller
    if x_lotse_device:
        try:
            device = device_for_token(session=session, token=x_lotse_device)
        except Unauthorized:
            # Wrong tokens count against the address, so guessing costs as much as any request.
            limiter.hit(
                "public", client_address(request), limit=settings.rate_limit_public_per_minute
            )
            raise
        caller = Caller(ActorType.device, f"device:{device.id}", device_site_id=device.site_id)
        limiter.hit("device", caller.key, limit=settings.rate_limit_public_per_minute)
        return caller
    caller = Caller(ActorType.client, client_address(request))
    limiter.hit("public", caller.key, limit=settings.rate_limit_public_per_minute)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


SiteHeader = Annotated[
    str | None,
    Header(
        alias="X-Lotse-Site",
        max_length=64,
        description="The site (code) the request is for; see each caller's rules in docs/sites.md",
    ),
]


def _client_site(
    session: Session, settings: Settings, caller: Caller, named: str | None, *, may_name: bool
) -> Site:
    if caller.device_site_id is not None:
        site = session.get(Site, caller.device_site_id)
        if site is None:
            raise NotFound("site_unknown")
        if named and named != site.code:
            raise Forbidden("device_of_other_site")
        return site
    if named:
        if not may_name:
            raise Forbidden("site_choice_needs_device")
        return sites.site_by_code(session, named, active_only=True)
    return sites.default_site(session, settings.default_site)


def get_site(
    session: SessionDep, settings: SettingsDep, caller: CallerDep, x_lotse_site: SiteHeader = None
) -> Site:
    """The site of a public request: an enrolled device's own, else the one the caller names (the
    bot for its chat, a client from the area table), else the deployment's default."""
    return _client_site(session, settings, caller, x_lotse_site, may_name=True)


def get_lobby_site(
    session: SessionDep, settings: SettingsDep, caller: CallerDep, x_lotse_site: SiteHeader = None
) -> Site:
    """The site of a lobby check-in: the kiosk's own. Its URL never chooses the site: only the bot
    (for its chat) may name one; an unenrolled kiosk checks in at the default site."""
    return _client_site(session, settings, caller, x_lotse_site, may_name=caller.is_bot)


SiteDep = Annotated[Site, Depends(get_site)]
LobbySiteDep = Annotated[Site, Depends(get_lobby_site)]


# The only endpoints a login with a password someone else chose may call until it is changed.
PASSWORD_CHANGE_ENDPOINTS = frozenset(
    {
        ("POST", "/api/v1/staff/me/password"),
        ("POST", "/api/v1/staff/logout"),
        ("GET", "/api/v1/staff/me"),
    }
)


def get_current_staff(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StaffUser:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})
    staff = staff_for_token(session=session, token=authorization.removeprefix("Bearer ").strip())
    endpoint = (request.method, request.url.path)
    if staff.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        raise Forbidden("password_change_required")
    return staff


def _chosen_site(session: Session, staff: StaffUser, code: str | None, *, any_site: bool) -> Site:
    if code:
        own = next((site for site in staff.sites if site.code == code), None)
        if own is not None:
            return own
        if any_site:
            return sites.site_by_code(session, code, active_only=False)
        # whether another site of that name exists is none of this account's business
        raise Forbidden("site_not_permitted")
    if len(staff.sites) == 1:
        return staff.sites[0]
    if not staff.sites and not any_site:
        raise Forbidden("site_not_permitted")
    raise sites.SiteRequired()


def require_role(role: StaffRole):  # type: ignore[no-untyped-def]
    # async: a comparison, not worth a trip through the thread pool
    async def _check(staff: Annotated[StaffUser, Depends(get_current_staff)]) -> StaffUser:
        if ROLE_RANK[staff.role] < ROLE_RANK[role]:
            raise Forbidden("role_required", details={"required_role": role.value})
        return staff

    return _check


CurrentStaff = Annotated[StaffUser, Depends(get_current_staff)]
DeskStaff = Annotated[StaffUser, Depends(require_role(StaffRole.desk))]
CaseworkerStaff = Annotated[StaffUser, Depends(require_role(StaffRole.caseworker))]
AdminStaff = Annotated[StaffUser, Depends(require_role(StaffRole.admin))]
DeploymentAdmin = Annotated[StaffUser, Depends(require_role(StaffRole.deployment_admin))]


async def get_staff_site(
    session: SessionDep, staff: DeskStaff, x_lotse_site: SiteHeader = None
) -> Site:
    """The site a desk request works on: one of the staff member's own sites, never another.

    async, as it touches no database: the account's sites came with its login (staff_for_token)
    and without any_site no other site is looked up."""
    return _chosen_site(session, staff, x_lotse_site, any_site=False)


def get_admin_site(session: SessionDep, staff: AdminStaff, x_lotse_site: SiteHeader = None) -> Site:
    """The site a site admin configures: one of their own; a deployment admin may choose any."""
    any_site = staff.role is StaffRole.deployment_admin
    return _chosen_site(session, staff, x_lotse_site, any_site=any_site)


# Desk and admin requests: the records, queue and inbox of the chosen site only.
StaffSiteDep = Annotated[Site, Depends(get_staff_site)]
AdminSiteDep = Annotated[Site, Depends(get_admin_site)]


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
    caller: CallerDep,
    x_lotse_pin: Annotated[str | None, Header(max_length=12, description="The 6-digit PIN")] = None,
    x_lotse_birth_date: Annotated[
        str | None, Header(max_length=10, description="Date of birth, YYYY-MM-DD (check-in only)")
    ] = None,
) -> Proof:
    """The proof headers with who sends them: wrong proofs also count per caller, across codes."""
    return Proof(
        pin=x_lotse_pin,
        birth_date=x_lotse_birth_date,
        caller_key=caller.key,
        by_bot=caller.is_bot,
        # The bot proves a record or booking by the chat that made it (X-Lotse-Conversation).
        conversation_id=caller.conversation_id if caller.is_bot else None,
    )


ProofDep = Annotated[Proof, Depends(get_proof)]
