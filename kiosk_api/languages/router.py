from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kiosk_api.i18n import languages

router = APIRouter(tags=["languages"])


class LanguagePublic(BaseModel):
    code: str
    native_name: str
    english_name: str
    direction: str


@router.get("/languages", response_model=list[LanguagePublic])
def list_languages() -> list[LanguagePublic]:
    """Every enabled language by its own name in its own script, for the language picker."""
    return [
        LanguagePublic(
            code=language.code,
            native_name=language.native_name,
            english_name=language.english_name,
            direction=language.direction,
        )
        for language in languages()
    ]
