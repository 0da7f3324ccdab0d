"""Admin view of the machine translation packages installed on this machine."""

from __future__ import annotations

from fastapi import APIRouter

from kiosk_api.deps import AdminStaff, SessionDep
from kiosk_api.errors import responses
from kiosk_api.translation import service
from kiosk_api.translation.schemas import TranslationPairsPublic

# Mounted under /api/v1 like the other staff routers.
router = APIRouter(prefix="/admin/translation", tags=["admin"])


@router.get("/pairs", response_model=TranslationPairsPublic, responses=responses(401, 403))
def list_pairs(staff: AdminStaff, session: SessionDep) -> TranslationPairsPublic:
    """Installed language pairs and which languages the desk can translate to and from German."""
    return service.translation_overview(session=session)
