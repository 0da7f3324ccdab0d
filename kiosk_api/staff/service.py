"""Staff accounts and their bearer sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from kiosk_api.audit.service import record_event
from kiosk_api.config import get_settings
from kiosk_api.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from kiosk_api.models import Site, StaffSession, StaffUser, staff_sites, utcnow
from kiosk_api.models.enums import ActorType, StaffRole
from kiosk_api.security import hash_password, new_token, token_hash, verify_password
from kiosk_api.staff.schemas import StaffCreate, StaffUpdate, TokenPublic


def verify_credentials(*, session: Session, username: str, password: str) -> StaffUser | None:
    """The active staff user with this password, or None; as slow for unknown users as for known
    ones."""
    staff = session.scalar(select(StaffUser).where(StaffUser.username == username))
    valid = verify_password(password, staff.password_hash if staff else None)
    return staff if staff is not None and valid and staff.active else None


def record_failed_login(*, session: Session, username: str) -> None:
    staff = session.scalar(select(StaffUser).where(StaffUser.username == username))
    record_event(
        session=session,
        actor_type=ActorType.staff,
        action="staff.login_failed",
        subject_type="staff",
        subject_id=staff.id if staff else None,
        site_id=None,  # an account may work for several sites
    )
    session.flush()


def record_locked_login(
    *, session: Session, username: str, locked: list[str], retry_after_seconds: int
) -> None:
    """A login refused while its user or address is locked out, in the audit trail (no address)."""
    staff = session.scalar(select(StaffUser).where(StaffUser.username == username))
    record_event(
        session=session,
        actor_type=ActorType.staff,
        action="staff.login_locked",
        subject_type="staff",
        subject_id=staff.id if staff else None,
        site_id=None,  # an account may work for several sites
        details={"locked": locked, "retry_after_seconds": retry_after_seconds},
    )
    session.flush()


def staff_for_token(*, session: Session, token: str) -> StaffUser:
    """The active staff user a bearer token belongs to while its login lasts; Unauthorized
    otherwise."""
    # One query for the login, its account and the account's sites (every staff request reads
    # them: deps.get_staff_site chooses among the sites without another query).
    staff_session = (
        session.scalars(
            select(StaffSession)
            .where(StaffSession.token_hash == token_hash(token))
            .options(joinedload(StaffSession.staff).joinedload(StaffUser.sites))
        )
        .unique()
        .one_or_none()
    )
    if (
        staff_session is None
        or staff_session.revoked_at is not None
        or staff_session.expires_at <= utcnow()
    ):
        raise Unauthorized("session_expired", headers={"WWW-Authenticate": "Bearer"})
    if not staff_session.staff.active:
        raise Unauthorized("account_disabled")
    return staff_session.staff


def start_session(*, session: Session, staff_id: int) -> TokenPublic:
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        raise InvalidCredentials()
    token = new_token()
    expires_at = utcnow() + timedelta(minutes=get_settings().staff_token_ttl_minutes)
    session.add(
        StaffSession(staff_id=staff.id, token_hash=token_hash(token), expires_at=expires_at)
    )
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff.id,
        action="staff.login",
        subject_type="staff",
        subject_id=staff.id,
        site_id=None,  # an account may work for several sites
    )
    session.flush()
    return TokenPublic(
        access_token=token,
        expires_at=expires_at,
        role=staff.role,
        must_change_password=staff.must_change_password,
    )


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    keep_changes = True  # the failed attempt stays in the audit trail


def logout(*, session: Session, token: str) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == token_hash(token))
        .values(revoked_at=utcnow())
    )


class WrongCurrentPassword(Forbidden):
    code = "wrong_current_password"
    keep_changes = True  # the failed attempt stays in the audit trail


def new_password_hash(
    *, username: str, password_hash: str, current_password: str, new_password: str
) -> str | None:
    """The hash of the new password, or None if the current one is wrong; refuses a new password
    that is the current one or the username. Slow (argon2): call it outside the write lock."""
    if not verify_password(current_password, password_hash):
        return None
    if new_password == current_password:
        raise InvalidInput("password_unchanged")
    if new_password.casefold() == username.casefold():
        raise InvalidInput("password_is_username")
    return hash_password(new_password)


def record_failed_password_change(*, session: Session, staff: StaffUser) -> None:
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff.id,
        action="staff.password_change_failed",
        subject_type="staff",
        subject_id=staff.id,
        site_id=None,  # an account may work for several sites
    )
    session.flush()


def change_own_password(
    *, session: Session, staff: StaffUser, password_hash: str, current_token: str
) -> None:
    """Stores the new hash, lifts the first-login restriction and ends every other session of
    this staff member; the session `current_token` belongs to stays."""
    staff.password_hash = password_hash
    staff.must_change_password = False
    ended = session.execute(
        update(StaffSession)
        .where(
            StaffSession.staff_id == staff.id,
            StaffSession.revoked_at.is_(None),
            StaffSession.token_hash != token_hash(current_token),
        )
        .values(revoked_at=utcnow())
    ).rowcount
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=staff.id,
        action="staff.password_changed",
        subject_type="staff",
        subject_id=staff.id,
        site_id=None,  # an account may work for several sites
        details={"other_sessions_ended": ended},
    )
    session.flush()


def _members(site: Site):  # type: ignore[no-untyped-def]
    return StaffUser.id.in_(select(staff_sites.c.staff_id).where(staff_sites.c.site_id == site.id))


def list_staff(*, session: Session, site: Site) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).where(_members(site)).order_by(StaffUser.id)))


def guard_role_grant(*, session: Session, role: StaffRole | None, actor_id: int | None) -> None:
    """Only a deployment admin (or the command line) makes another deployment admin."""
    if role is not StaffRole.deployment_admin or actor_id is None:
        return
    actor = session.get(StaffUser, actor_id)
    if actor is None or actor.role is not StaffRole.deployment_admin:
        raise Forbidden("role_required", details={"required_role": role.value})


def create_staff(
    *, session: Session, site: Site, payload: StaffCreate, actor_id: int | None
) -> StaffUser:
    guard_role_grant(session=session, role=payload.role, actor_id=actor_id)
    staff = StaffUser(
        sites=[site] if payload.role is not StaffRole.deployment_admin else [],
        username=payload.username,
        display_name=payload.display_name,
        role=payload.role,
        password_hash=hash_password(payload.password),
        # someone else chose this password: its owner replaces it at their first login
        must_change_password=True,
    )
    session.add(staff)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict("username_taken") from error
    record_event(
        session=session,
        actor_type=ActorType.staff if actor_id else ActorType.system,
        actor_id=actor_id,
        action="staff.created",
        subject_type="staff",
        subject_id=staff.id,
        site_id=site.id,
        details={"role": payload.role.value},
    )
    return staff


def update_staff(
    *, session: Session, site: Site, staff_id: int, payload: StaffUpdate, actor_id: int
) -> StaffUser:
    staff = session.get(StaffUser, staff_id)
    if staff is None or all(own.id != site.id for own in staff.sites):
        raise NotFound("staff_not_found")
    guard_role_grant(session=session, role=payload.role, actor_id=actor_id)
    changes = payload.model_dump(exclude_unset=True)
    password_changed = changes.get("password") is not None
    if password_changed:
        staff.password_hash = hash_password(changes.pop("password"))
        # a password an admin set for someone else is replaced by its owner at the next login
        staff.must_change_password = staff.id != actor_id
    changes.pop("password", None)
    for field, value in changes.items():
        if value is not None:
            setattr(staff, field, value)
    if staff.active is False or "role" in changes or password_changed:
        session.execute(
            update(StaffSession)
            .where(StaffSession.staff_id == staff.id, StaffSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    session.flush()
    record_event(
        session=session,
        actor_type=ActorType.staff,
        actor_id=actor_id,
        action="staff.updated",
        subject_type="staff",
        subject_id=staff.id,
        site_id=site.id,
        details={"fields": sorted(payload.model_dump(exclude_unset=True))},
    )
    return staff


def ensure_admin(
    *, session: Session, site: Site, username: str, password: str
) -> tuple[StaffUser | None, bool]:
    """Gives a site without an admin the first admin account: made here (to change its password at
    first login; created=True), or the existing account of that name joins the site."""
    exists = session.scalar(
        select(StaffUser.id).where(_members(site), StaffUser.role == StaffRole.admin).limit(1)
    )
    if exists:
        return None, False
    staff = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if staff is not None:
        if staff.role is StaffRole.admin:
            staff.sites = [*staff.sites, site]
            session.flush()
            return staff, False
        return None, False
    created = create_staff(
        session=session,
        site=site,
        payload=StaffCreate(
            username=username, display_name="Administrator", role=StaffRole.admin, password=password
        ),
        actor_id=None,
    )
    return created, True
