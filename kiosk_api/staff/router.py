from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from kiosk_api.config import get_settings
from kiosk_api.db import begin_write
from kiosk_api.deps import CurrentStaff, SessionDep, client_address
from kiosk_api.errors import responses
from kiosk_api.models import StaffUser
from kiosk_api.ratelimit import limiter
from kiosk_api.staff import service
from kiosk_api.staff.schemas import LoginRequest, StaffPublic, TokenPublic

router = APIRouter(prefix="/staff", tags=["staff"])


@router.post("/login", response_model=TokenPublic, responses=responses(401, 422, 429))
def login(payload: LoginRequest, request: Request, session: SessionDep) -> TokenPublic:
    """Exchanges username and password for a bearer token that expires."""
    limit = get_settings().rate_limit_login_per_minute
    address = client_address(request)
    limiter.hit("login", address, limit=limit)
    # Failures per user and address: a stranger's wrong guesses cannot lock the real user out.
    user_key = f"{payload.username.lower()}|{address}"
    limiter.check("login-failures", user_key, limit=limit)
    staff = service.verify_credentials(
        session=session, username=payload.username, password=payload.password
    )
    # end the read before writing, so the slow hash check never held the write lock
    session.rollback()
    begin_write(session)
    if staff is None:
        limiter.add("login-failures", user_key)
        service.record_failed_login(session=session, username=payload.username)
        raise service.InvalidCredentials()
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
