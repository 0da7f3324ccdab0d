from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from kiosk_api.deps import CallerDep, DeploymentAdmin, SessionDep
from kiosk_api.errors import responses
from kiosk_api.models import Site, StaffUser
from kiosk_api.sites import deployment
from kiosk_api.sites.access import active_sites, responsible_site
from kiosk_api.sites.schemas import (
    SiteActivation,
    SiteCode,
    SiteOverview,
    SitePublic,
    SiteStatistics,
    SiteWithHours,
    StaffSites,
    StaffWithSites,
)

router = APIRouter(tags=["sites"])
DEPLOYMENT_ERRORS = responses(401, 403, 404, 422)
StaffId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/sites", response_model=list[SitePublic], responses=responses(401, 429))
def list_sites(session: SessionDep, caller: CallerDep) -> list[Site]:
    """The offices of this deployment that take clients, with their addresses."""
    return active_sites(session)


@router.get("/sites/lookup", response_model=SiteWithHours, responses=responses(401, 404, 422, 429))
def find_responsible_site(
    session: SessionDep,
    caller: CallerDep,
    place: Annotated[
        str,
        Query(
            min_length=1,
            max_length=100,
            description="The client's postcode or municipality, e.g. 42651 or Solingen",
        ),
    ],
) -> Site:
    """The office responsible for a postcode or town, by the deployment's area table."""
    return responsible_site(session, place)


@router.get("/deployment/sites", response_model=list[SiteOverview], responses=DEPLOYMENT_ERRORS)
def sites_overview(session: SessionDep, staff: DeploymentAdmin) -> list[SiteOverview]:
    return deployment.overview(session=session)


@router.patch("/deployment/sites/{code}", response_model=SitePublic, responses=DEPLOYMENT_ERRORS)
def activate_site(
    code: Annotated[SiteCode, Path()],
    payload: SiteActivation,
    session: SessionDep,
    staff: DeploymentAdmin,
) -> Site:
    """Switches a site on or off; a site switched off keeps its records and takes no new clients."""
    return deployment.set_active(
        session=session, code=code, active=payload.active, actor_id=staff.id
    )


@router.get("/deployment/staff", response_model=list[StaffWithSites], responses=DEPLOYMENT_ERRORS)
def all_staff(session: SessionDep, staff: DeploymentAdmin) -> list[StaffUser]:
    return deployment.list_staff(session=session)


@router.put(
    "/deployment/staff/{staff_id}/sites",
    response_model=StaffWithSites,
    responses=DEPLOYMENT_ERRORS,
)
def set_staff_sites(
    staff_id: StaffId, payload: StaffSites, session: SessionDep, staff: DeploymentAdmin
) -> StaffUser:
    """The sites whose records, queue and inbox the account works on."""
    return deployment.set_staff_sites(
        session=session, staff_id=staff_id, codes=payload.sites, actor_id=staff.id
    )


@router.get(
    "/deployment/stats/weekly", response_model=list[SiteStatistics], responses=DEPLOYMENT_ERRORS
)
def statistics(
    session: SessionDep,
    staff: DeploymentAdmin,
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
) -> list[SiteStatistics]:
    """Arrivals, bookings and hand-overs per site and ISO week: counts, no personal data."""
    return deployment.statistics(session=session, weeks=weeks)
