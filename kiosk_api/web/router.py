"""The web pages (kiosk, desk, call display, ticket, chat, volunteer, checklist, info), their static
files, fonts, read-aloud and QR codes.

Registered without a prefix: pages live at the root, their JSON under /api/v1. The live event
streams the pages follow belong to the queue (kiosk_api/queue/streams.py).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel

from kiosk_api import i18n
from kiosk_api.config import get_settings
from kiosk_api.content import service as content_service
from kiosk_api.deps import CallerDep, SessionDep
from kiosk_api.errors import InvalidInput, NotFound, responses
from kiosk_api.queue import service as queue_service
from kiosk_api.web import service

router = APIRouter(tags=["web"])

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
PAGES_DIR = WEB_DIR / "pages"
API = "/api/v1"
PageName = Literal["kiosk", "ticket", "display", "desk", "chat", "volunteer", "checklist", "info"]
TicketCode = Annotated[str, PathParam(min_length=3, max_length=32)]
# Only a reference code can become a QR code here: the route must not draw arbitrary text or links.
QrData = Annotated[str, Query(pattern=r"^LT[0-9A-Z]{8}$")]
# Pages load only what they ship: scripts, styles, fonts and images from here; the chat also talks
# to Rasa.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: "
    "blob:; font-src 'self' data:; media-src 'self' blob: mediastream:; connect-src "
    "'self'{connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class UiStringsPublic(BaseModel):
    language: str
    direction: str
    strings: dict[str, str]
    fallback: dict[str, str]


# --- pages ---------------------------------------------------------------------------------------


def _languages() -> list[dict[str, str]]:
    return [
        {
            "code": language.code,
            "native_name": language.native_name,
            "direction": language.direction,
        }
        for language in i18n.languages()
    ]


def _page(
    name: PageName, template: str, *, language: str, config: dict[str, Any], connect: str = ""
) -> HTMLResponse:
    strings = service.ui_strings(page=name, language=language)
    boot = {
        "page": name,
        "language": strings.language,
        "direction": strings.direction,
        "strings": strings.strings,
        "fallback": strings.fallback,
        "languages": _languages(),
        "config": config,
    }
    html = _template(template)
    # JSON inside <script type="application/json">: escape "<" so no text can close the element.
    html = (
        html.replace("{{lang}}", strings.language.replace("_", "-"))
        .replace("{{dir}}", strings.direction)
        .replace("{{title}}", _escape(strings.strings.get(f"{name}.page_title", "Lotse")))
        .replace("{{boot}}", json.dumps(boot, ensure_ascii=False).replace("<", "\\u003c"))
    )
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": CSP.format(connect=connect),
            "Cache-Control": "no-store",
        },
    )


@cache
def _template(name: str) -> str:
    """A page with the head all pages share (pages/_head.html); read once, pages change only with
    a deploy."""
    head = (PAGES_DIR / "_head.html").read_text(encoding="utf-8")
    return (PAGES_DIR / f"{name}.html").read_text(encoding="utf-8").replace("{{head}}\n", head, 1)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _language(lang: str | None, default: str) -> str:
    return i18n.normalize_code(lang) or default


LangQuery = Annotated[str | None, Query(max_length=16)]


@router.get("/", include_in_schema=False)
def index() -> HTMLResponse:
    return _page(
        "kiosk",
        "kiosk",
        language=i18n.default_language(),
        config={"idle_seconds": 90, "voices": service.voices()},
    )


@router.get(
    "/kiosk", include_in_schema=False, response_class=HTMLResponse, responses=responses(422)
)
def kiosk_page(
    lang: LangQuery = None,
    idle: Annotated[
        int, Query(ge=3, le=3600, description="Seconds without a touch before the screen is wiped")
    ] = 90,
) -> HTMLResponse:
    """The lobby touch kiosk: language, check-in or quick intake, queue ticket."""
    return _page(
        "kiosk",
        "kiosk",
        language=_language(lang, i18n.default_language()),
        config={"idle_seconds": idle, "voices": service.voices()},
    )


@router.get(
    "/ticket/{ticket_code}",
    include_in_schema=False,
    response_class=HTMLResponse,
    responses=responses(404, 422),
)
def ticket_page(
    ticket_code: TicketCode, session: SessionDep, lang: LangQuery = None
) -> HTMLResponse:
    """The client's phone: live position of the ticket from the kiosk's QR code."""
    ticket = queue_service.find_ticket(session=session, ticket_code=ticket_code)
    return _page(
        "ticket",
        "ticket",
        language=_language(lang, ticket.language),
        config={"ticket_code": ticket.ticket_code},
    )


@router.get("/display", include_in_schema=False, response_class=HTMLResponse)
def display_page() -> HTMLResponse:
    """The lobby call display: called numbers and desks, live, with a chime."""
    return _page("display", "display", language=i18n.default_language(), config={})


@router.get("/desk", include_in_schema=False, response_class=HTMLResponse)
def desk_page() -> HTMLResponse:
    """Reception desk, site admin and deployment admin (German). Loads for no site: the staff
    member chooses one of their sites after login, and times follow that site's time zone."""
    return _page("desk", "desk", language="de", config={})


@router.get("/chat", include_in_schema=False, response_class=HTMLResponse)
def chat_page(lang: LangQuery = None) -> HTMLResponse:
    """Web chat with the assistant over Rasa's socket.io channel."""
    settings = get_settings()
    # The phone's browser may reach Rasa under another address than this server does (reverse
    # proxy).
    socket_url = (settings.chat_socket_url or settings.rasa_url or "").rstrip("/")
    connect = ""
    if socket_url:
        ws = socket_url.replace("https://", "wss://").replace("http://", "ws://")
        connect = f" {socket_url} {ws}"
    return _page(
        "chat",
        "chat",
        language=_language(lang, i18n.default_language()),
        config={"socket_url": socket_url, "preselected": bool(lang and i18n.normalize_code(lang))},
        connect=connect,
    )


@router.get("/volunteer", include_in_schema=False, response_class=HTMLResponse)
def volunteer_page(lang: LangQuery = None) -> HTMLResponse:
    """Pre-registration with a volunteer: the client's and the volunteer's language side by side."""
    return _page("volunteer", "volunteer", language=_language(lang, "de"), config={})


@router.get(
    "/checklist", include_in_schema=False, response_class=HTMLResponse, responses=responses(422)
)
def checklist_page(lang: LangQuery = None) -> HTMLResponse:
    """The client's own checklist: documents and next steps with the German term beside,
    printable, as PDF."""
    return _page(
        "checklist", "checklist", language=_language(lang, i18n.default_language()), config={}
    )


@router.get("/static/{path:path}", include_in_schema=False)
def static_file(path: str) -> FileResponse:
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise NotFound("not_found")
    return FileResponse(target, headers={"Cache-Control": "no-cache"})


@router.get("/fonts/{name}", include_in_schema=False)
def font(name: Annotated[str, PathParam(max_length=64)]) -> FileResponse:
    """Noto and DejaVu fonts from the Debian packages, by name from a fixed list."""
    path = service.font_path(name)
    if path is None:
        raise NotFound("not_found")
    return FileResponse(
        path, media_type="font/ttf", headers={"Cache-Control": "public, max-age=86400"}
    )


# --- JSON for the pages --------------------------------------------------------------------------


@router.get(f"{API}/ui-strings", response_model=UiStringsPublic, responses=responses(422))
def ui_strings(
    language: Annotated[str, Query(min_length=2, max_length=16)],
    page: Annotated[PageName, Query()] = "kiosk",
) -> UiStringsPublic:
    """The interface texts of one page in one language, with the keys that fell back to en or de."""
    if not i18n.is_supported(language):
        raise InvalidInput("unknown_language", details={"language": language})
    found = service.ui_strings(page=page, language=language)
    return UiStringsPublic(
        language=found.language,
        direction=found.direction,
        strings=found.strings,
        fallback=found.fallback,
    )


@router.get("/info", include_in_schema=False, response_class=HTMLResponse, responses=responses(422))
def info_page(
    lang: LangQuery = None,
    idle: Annotated[
        int,
        Query(
            ge=3, le=3600, description="At the kiosk: seconds without a touch before it goes back"
        ),
    ] = 90,
) -> HTMLResponse:
    """Topic pages for kiosk, phone and volunteers: themes, search in one's own words, read
    aloud, QR, print."""
    return _page(
        "info",
        "info",
        language=_language(lang, i18n.default_language()),
        config={"idle_seconds": idle, "voices": service.voices()},
    )


ContentPart = Annotated[str, Query(pattern=r"^(title|summary|body\.[0-9]{1,2})$")]


@router.get(
    f"{API}/content/{{topic}}/speech",
    response_class=Response,
    responses={
        200: {"content": {"audio/wav": {}}, "description": "spoken text"},
        **responses(404, 422),
    },
)
def content_speech(
    topic: Annotated[str, PathParam(max_length=50)],
    language: Annotated[str, Query(min_length=2, max_length=16)],
    part: ContentPart,
) -> Response:
    """A part of a topic (title, summary, body.N) read aloud in the client's language; only the
    project's own content."""
    item = content_service.get_topic(
        store=content_service.get_store(), topic=topic, language=language
    )
    voice = service.voice(item.language)
    if voice is None:
        raise NotFound("no_voice", details={"language": item.language})
    if part.startswith("body."):
        index = int(part.removeprefix("body."))
        if index >= len(item.body):
            raise NotFound("not_found")
        text = item.body[index]
    else:
        text = getattr(item, part)
    return Response(
        service.speech_wav(text, voice),
        media_type="audio/wav",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get(
    f"{API}/content/{{topic}}/qr.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "QR code"},
        **responses(404, 422),
    },
)
def content_qr(
    topic: Annotated[str, PathParam(max_length=50)],
    request: Request,
    language: Annotated[str, Query(min_length=2, max_length=16)],
) -> Response:
    """A QR code of the topic's page in the client's language, to take it from the kiosk to the
    phone."""
    item = content_service.get_topic(
        store=content_service.get_store(), topic=topic, language=language
    )
    url = (
        str(request.base_url).rstrip("/")
        + f"/info?lang={item.requested_language}&topic={item.topic}"
    )
    return Response(
        service.qr_svg(url),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get(
    f"{API}/speech",
    response_class=Response,
    responses={
        200: {"content": {"audio/wav": {}}, "description": "spoken text"},
        **responses(404, 422),
    },
)
def speech(
    language: Annotated[str, Query(min_length=2, max_length=16)],
    key: Annotated[str, Query(min_length=3, max_length=120, pattern=r"^[a-z0-9_.]+$")],
) -> Response:
    """A kiosk text read aloud in the client's language (espeak-ng, offline); only catalog texts,
    never free text."""
    if not i18n.is_supported(language):
        raise InvalidInput("unknown_language", details={"language": language})
    voice = service.voice(language)
    if voice is None:
        raise NotFound("no_voice", details={"language": language})
    found = service.ui_strings(page="kiosk", language=language)
    if key not in found.strings:
        raise NotFound("not_found")
    # A text that fell back to another language is spoken with that language's voice.
    spoken_voice = service.voice(found.fallback.get(key, found.language)) or voice
    return Response(
        service.speech_wav(found.strings[key], spoken_voice),
        media_type="audio/wav",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get(
    f"{API}/tickets/{{ticket_code}}/qr.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "QR code"},
        **responses(404, 429),
    },
)
def ticket_qr(
    ticket_code: TicketCode, request: Request, session: SessionDep, caller: CallerDep
) -> Response:
    """A QR code of the ticket page, for the client's phone."""
    ticket = queue_service.find_ticket(session=session, ticket_code=ticket_code)
    url = str(request.base_url).rstrip("/") + f"/ticket/{ticket.ticket_code}?lang={ticket.language}"
    return Response(
        service.qr_svg(url), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@router.get(
    f"{API}/qr.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "QR code"},
        **responses(422, 429),
    },
)
def reference_qr(data: QrData, caller: CallerDep) -> Response:
    """A QR code of a reference code (LT and 8 letters or digits, no dashes), for the printed
    checklist."""
    return Response(
        service.qr_svg(data), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )
