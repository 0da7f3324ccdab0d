"""The kiosk API application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk_api.config import get_settings
from kiosk_api.errors import LotseError, error_body
from kiosk_api.i18n import negotiate, translate
from kiosk_api.middleware import AccessLog, BodySizeLimit, SecurityHeaders

log = logging.getLogger("lotse")
API_PREFIX = "/api/v1"
_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _message(request: Request, key: str, **params: Any) -> str:
    return translate(key, negotiate(request.headers.get("accept-language")), **params)


async def handle_domain_error(request: Request, error: LotseError) -> JSONResponse:
    return JSONResponse(
        status_code=error.status_code,
        content=error_body(
            error.code,
            _message(
                request,
                error.message_key,
                **{k: v for k, v in error.details.items() if isinstance(v, str | int)},
            ),
            error.details,
        ),
        headers=error.headers,
    )


async def handle_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = [
        {
            "location": [str(part) for part in item.get("loc", ())],
            "problem": item.get("msg", ""),
            "type": item.get("type", ""),
        }
        for item in error.errors()
    ]
    return JSONResponse(
        status_code=422,
        content=error_body(
            "validation_error", _message(request, "error.validation_error"), {"errors": problems}
        ),
    )


async def handle_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    if error.status_code == 400 and isinstance(error.__cause__, UnicodeError):
        # FastAPI reports a body that is not UTF-8 as a bare 400; it is a malformed payload like
        # broken JSON.
        problem = {
            "location": ["body"],
            "problem": "body is not valid UTF-8",
            "type": "json_invalid",
        }
        return JSONResponse(
            status_code=422,
            content=error_body(
                "validation_error",
                _message(request, "error.validation_error"),
                {"errors": [problem]},
            ),
        )
    code = _HTTP_CODES.get(error.status_code, "http_error")
    details = getattr(error, "details", None)
    return JSONResponse(
        status_code=error.status_code,
        content=error_body(code, _message(request, f"error.{code}"), details),
        headers=getattr(error, "headers", None),
    )


async def handle_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception(
        "unhandled error on %s %s",
        request.method,
        getattr(request.scope.get("route"), "path", "(unmatched)"),
    )
    return JSONResponse(
        status_code=500,
        content=error_body("internal_error", _message(request, "error.internal_error")),
    )


def configure_logging(level: str) -> None:
    """Our loggers print where uvicorn's do; they carry route templates and codes, never personal
    data."""
    lotse = logging.getLogger("lotse")
    if not lotse.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        lotse.addHandler(handler)
        lotse.propagate = False
    lotse.setLevel(level.upper())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Loads the SGB II content once, then starts the background jobs (chat pushes, retention
    purge) in their threads."""
    settings = get_settings()
    # Loaded before the first request: concurrent first requests would each build the store (~0.5 s
    # of CPU each).
    from kiosk_api.content.service import get_store

    await asyncio.to_thread(get_store)
    from kiosk_api.content.search import start_building

    start_building(Path(settings.content_dir), Path(settings.nlu_dir))
    from kiosk_api.jobs.schedule import service_jobs

    jobs = service_jobs(settings)
    jobs.start()
    try:
        yield
    finally:
        await asyncio.to_thread(jobs.stop)


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        lifespan=lifespan,
        title="Lotse kiosk API",
        version="1.0.0",
        description=(
            "Intake, consent, routing, appointments and the lobby queue for job centres "
            "and Integration Points."
        ),
    )
    app.add_exception_handler(LotseError, handle_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, handle_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, handle_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, handle_unexpected)

    # First in the route table (routes are matched in order) and on the event loop: probes call it
    # often, and it touches nothing that blocks.
    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    from kiosk_api.admin.router import router as admin_router
    from kiosk_api.appointments.router import router as appointments_router
    from kiosk_api.checklist.router import router as checklist_router
    from kiosk_api.consent.router import router as consent_router
    from kiosk_api.content.router import router as content_router
    from kiosk_api.devices.router import router as devices_router
    from kiosk_api.handover.router import router as handover_router
    from kiosk_api.handover.router import staff_router as inbox_router
    from kiosk_api.intake.router import router as intake_router
    from kiosk_api.languages.router import router as languages_router
    from kiosk_api.queue.router import public_router as checkin_router
    from kiosk_api.queue.router import staff_router as desk_router
    from kiosk_api.records.router import router as records_router
    from kiosk_api.sites.router import router as sites_router
    from kiosk_api.staff.router import router as staff_router
    from kiosk_api.translation.router import router as translation_router

    for router in (
        languages_router,
        consent_router,
        intake_router,
        checklist_router,
        appointments_router,
        checkin_router,
        content_router,
        handover_router,
        staff_router,
        desk_router,
        inbox_router,
        records_router,
        admin_router,
        devices_router,
        sites_router,
        translation_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    from kiosk_api.web.router import router as web_router

    app.include_router(web_router)  # pages at the root, their JSON and event streams under /api/v1

    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
