from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from kiosk_api.config import get_settings
from kiosk_api.db import begin_write
from kiosk_api.deps import CurrentStaff, SessionDep, client_address
from kiosk_api.errors import responses
from kiosk_api.models import StaffUser
from kiosk_api.ratelimit import LockedOut, limiter, retry_after, too_many
from kiosk_api.staff import service
from kiosk_api.staff.schemas import LoginRequest, PasswordChange, StaffPublic, TokenPublic

router = APIRouter(prefix="/staff", tags=["staff"])


@router.post("/login", response_model=TokenPublic, responses=responses(401, 422, 429))
def login(payload: LoginRequest, request: Request, session: SessionDep) -> TokenPublic:
    """Exchanges username and password for a bearer token that expires."""
    settings = get_settings()
    address = client_address(request)
    limiter.hit("login", address, limit=settings.rate_limit_login_per_minute)
    # Failures lock per user and address (a stranger's wrong guesses cannot lock the real user
    # out of another address) and per address over all usernames.
    user_key = f"{payload.username.lower()}|{address}"
    guarded = {
        "user": ("login-failures", user_key, settings.login_max_failures),
        "address": ("login-address-failures", address, settings.login_max_failures_per_address),
    }
    locked = {scope: limiter.locked_for(bucket, key) for scope, (bucket, key, _) in guarded.items()}
    if any(locked.values()):
        begin_write(session)
        service.record_locked_login(
            session=session,
            username=payload.username,
            locked=[scope for scope, seconds in locked.items() if seconds],
            retry_after_seconds=retry_after(max(locked.values())),
        )
        raise too_many(max(locked.values()), LockedOut)
    staff = service.verify_credentials(
        session=session, username=payload.username, password=payload.password
    )
    # end the read before writing, so the slow hash check never held the write lock
    session.rollback()
    begin_write(session)
    if staff is None:
        for bucket, key, most in guarded.values():
            limiter.fail(
                bucket,
                key,
                limit=most,
                window_seconds=settings.login_failure_window_seconds,
                lockout_seconds=settings.login_lockout_seconds,
                max_lockout_seconds=settings.login_lockout_max_seconds,
            )
        service.record_failed_login(session=session, username=payload.username)
        raise service.InvalidCredentials()
    limiter.forgive("login-failures", user_key)
    return service.start_session(session=session, staff_id=staff.id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401))
def logout(
    staff: CurrentStaff,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    service.logout(session=session, token=(authorization or "").removeprefix("Bearer ").strip())


@router.get("/me", response_model=StaffPublic, responses=responses(401))
def me(staff: CurrentStaff) -> StaffUser:
    return staff


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 422, 429),
)
def change_own_password(
    payload: PasswordChange,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> None:
    """Replaces the caller's own password, first thing after a login with a password someone else
    chose; ends the caller's other sessions and keeps this one."""
    settings = get_settings()
    token = (authorization or "").removeprefix("Bearer ").strip()
    # A wrong current password counts as a failed login of this user from this address.
    user_key = f"{staff.username.lower()}|{client_address(request)}"
    locked = limiter.locked_for("login-failures", user_key)
    if locked:
        raise too_many(locked, LockedOut)
    username, stored_hash = staff.username, staff.password_hash
    # end the transaction before the slow hashes, so they never hold the write lock
    session.rollback()
    new_hash = service.new_password_hash(
        username=username,
        password_hash=stored_hash,
        current_password=payload.current_password,
        new_password=payload.new_password,
    )
    # `staff` reloads in the new transaction; whoever knows the current password may change it
    begin_write(session)
    if new_hash is None:
        limiter.fail(
            "login-failures",
            user_key,
            limit=settings.login_max_failures,
            window_seconds=settings.login_failure_window_seconds,
            lockout_seconds=settings.login_lockout_seconds,
            max_lockout_seconds=settings.login_lockout_max_seconds,
        )
        service.record_failed_password_change(session=session, staff=staff)
        raise service.WrongCurrentPassword()
    service.change_own_password(
        session=session, staff=staff, password_hash=new_hash, current_token=token
    )
