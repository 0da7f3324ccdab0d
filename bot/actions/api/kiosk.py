"""The kiosk API as the bot sees it: one async function per endpoint, JSON in and out.

Base URL from LOTSE_API_URL, service token from LOTSE_BOT_TOKEN (sent as a Bearer token). Calls that
need a site send the conversation's site code as X-Lotse-Site (without it the API takes its default
site).
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = aiohttp.ClientTimeout(total=float(os.environ.get("LOTSE_API_TIMEOUT", "10")))
# Content changes only with a deploy; a short TTL spares the API one request per SGB II question.
CONTENT_TTL = float(os.environ.get("LOTSE_CONTENT_TTL", "60"))
_content_cache: dict[tuple[str, str, str | None], tuple[float, dict[str, Any]]] = {}


class KioskError(Exception):
    """The API answered with an error (`code` is its stable error code) or could not be reached."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Proof:
    """Access to a record or booking besides its code: the chat that made it (the API trusts that
    only from the bot's token), or a PIN the client typed for a code from elsewhere."""

    conversation_id: str
    pin: str | None = None


def base_url() -> str:
    return os.environ.get("LOTSE_API_URL", DEFAULT_URL).rstrip("/") + "/api/v1"


def _headers(
    language: str | None = None,
    proof: Proof | None = None,
    idempotency_key: str | None = None,
    site: str | None = None,
) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if site:
        headers["X-Lotse-Site"] = site
    token = os.environ.get("LOTSE_BOT_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if language:
        headers["Accept-Language"] = language.replace("_", "-")
    if proof is not None:
        headers["X-Lotse-Conversation"] = proof.conversation_id
        if proof.pin:
            headers["X-Lotse-Pin"] = proof.pin
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


async def _request(
    method: str,
    path: str,
    *,
    language: str | None = None,
    proof: Proof | None = None,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    site: str | None = None,
) -> Any:
    query = {k: str(v) for k, v in (params or {}).items() if v is not None}
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            async with session.request(
                method,
                base_url() + path,
                params=query,
                json=body,
                headers=_headers(language, proof, idempotency_key, site),
            ) as response:
                if response.status == 204:
                    return None
                data = await response.json(content_type=None)
                if response.status >= 400:
                    error = (data or {}).get("error") or {}
                    raise KioskError(
                        response.status, error.get("code", "error"), error.get("message", "")
                    )
                return data
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise KioskError(503, "unreachable", type(exc).__name__) from exc


async def consent_notice(language: str, *, site: str | None = None) -> dict[str, Any]:
    return await _request(
        "GET", "/consent/notice", params={"language": language}, language=language, site=site
    )


async def give_consent(
    *,
    language: str,
    notice_version: str,
    conversation_id: str,
    channel: str = "web_chat",
    site: str | None = None,
) -> dict[str, Any]:
    body = {
        "language": language,
        "notice_version": notice_version,
        "channel": channel,
        "conversation_id": conversation_id,
    }
    return await _request("POST", "/consents", body=body, language=language, site=site)


async def issue_pin(reference_code: str, proof: Proof, *, language: str) -> dict[str, Any]:
    """A fresh PIN for the record this chat opened, to show once; the chat keeps none."""
    return await _request("POST", f"/consents/{reference_code}/pin", proof=proof, language=language)


async def update_intake(
    reference_code: str,
    proof: Proof,
    fields: dict[str, Any],
    *,
    language: str,
    submit: bool = False,
) -> dict[str, Any]:
    body = dict(fields, submit=submit)
    return await _request(
        "PATCH", f"/intakes/{reference_code}", proof=proof, body=body, language=language
    )


async def routing(reference_code: str, proof: Proof, *, language: str) -> dict[str, Any]:
    return await _request(
        "GET", f"/intakes/{reference_code}/routing", proof=proof, language=language
    )


async def services(*, language: str, site: str | None = None) -> list[dict[str, Any]]:
    return await _request("GET", "/services", language=language, site=site)


async def free_slots(
    *,
    service: str | None,
    date_from: str | None = None,
    date_to: str | None = None,
    language: str,
    site: str | None = None,
) -> list[dict[str, Any]]:
    params = {"service": service, "date_from": date_from, "date_to": date_to}
    return await _request("GET", "/slots", params=params, language=language, site=site)


async def book(
    *,
    slot_id: int,
    language: str,
    reference_code: str | None,
    proof: Proof,
    idempotency_key: str,
    site: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"slot_id": slot_id, "language": language}
    if reference_code:
        body["reference_code"] = reference_code
    return await _request(
        "POST",
        "/bookings",
        body=body,
        proof=proof,
        language=language,
        idempotency_key=idempotency_key,
        site=site,
    )


async def booking(booking_code: str, proof: Proof, *, language: str) -> dict[str, Any]:
    return await _request("GET", f"/bookings/{booking_code}", proof=proof, language=language)


async def record_bookings(
    reference_code: str, proof: Proof, *, language: str
) -> list[dict[str, Any]]:
    return await _request(
        "GET", f"/intakes/{reference_code}/bookings", proof=proof, language=language
    )


async def move_booking(
    booking_code: str, proof: Proof, *, slot_id: int, language: str
) -> dict[str, Any]:
    return await _request(
        "POST",
        f"/bookings/{booking_code}/move",
        proof=proof,
        body={"slot_id": slot_id},
        language=language,
    )


async def cancel_booking(booking_code: str, proof: Proof, *, language: str) -> dict[str, Any]:
    return await _request(
        "POST", f"/bookings/{booking_code}/cancel", proof=proof, language=language
    )


async def content(topic: str, *, language: str, site: str | None = None) -> dict[str, Any]:
    """A topic in one language, with the client's site's own text when it has one; answers are
    kept CONTENT_TTL seconds, errors are not kept."""
    key = (topic, language, site)
    cached = _content_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < CONTENT_TTL:
        return copy.deepcopy(cached[1])
    item = await _request(
        "GET", f"/content/{topic}", params={"language": language}, language=language, site=site
    )
    _content_cache[key] = (time.monotonic(), item)
    return copy.deepcopy(item)


async def search_topics(question: str, *, language: str, limit: int = 3) -> list[dict[str, Any]]:
    """Topics most like the question, best first (the kiosk's own search ranking)."""
    found = await _request(
        "GET",
        "/content/search",
        params={"q": question[:500], "language": language, "limit": limit},
        language=language,
    )
    return list(found.get("matches") or [])


def public_page(path: str) -> str:
    """An address of the kiosk API's pages as the client's phone reaches it (LOTSE_PUBLIC_URL,
    else LOTSE_API_URL)."""
    base = os.environ.get("LOTSE_PUBLIC_URL") or os.environ.get("LOTSE_API_URL", DEFAULT_URL)
    return base.rstrip("/") + path


async def open_handover(
    *,
    conversation_id: str,
    language: str,
    output_channel: str,
    reference_code: str | None,
    site: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation_id": conversation_id,
        "language": language,
        "output_channel": output_channel,
    }
    if reference_code:
        body["reference_code"] = reference_code
    return await _request("POST", "/handovers", body=body, language=language, site=site)


async def handover_is_open(conversation_id: str, *, site: str | None = None) -> bool:
    """Whether the desk still holds the conversation (404 once staff handed it back)."""
    try:
        await _request("GET", f"/handovers/{conversation_id}", site=site)
    except KioskError as error:
        if error.status == 404:
            return False
        raise
    return True


async def forward_to_desk(conversation_id: str, text: str, *, site: str | None = None) -> None:
    await _request("POST", f"/handovers/{conversation_id}/messages", body={"text": text}, site=site)


async def check_in(
    *,
    reference_code: str,
    proof: Proof,
    conversation_id: str,
    output_channel: str,
    language: str,
    idempotency_key: str,
    site: str | None = None,
) -> dict[str, Any]:
    body = {
        "reference_code": reference_code,
        "conversation_id": conversation_id,
        "output_channel": output_channel,
    }
    return await _request(
        "POST",
        "/checkins",
        body=body,
        proof=proof,
        language=language,
        idempotency_key=idempotency_key,
        site=site,
    )


async def sites() -> list[dict[str, Any]]:
    """The deployment's active sites: [{code, name, street, postcode, city, phone, timezone}]."""
    return await _request("GET", "/sites")


async def site_for_place(place: str) -> dict[str, Any] | None:
    """The site responsible for a postcode or municipality, with its address and opening hours;
    None when the deployment's area table has no match."""
    try:
        return await _request("GET", "/sites/lookup", params={"place": place[:100]})
    except KioskError as error:
        if error.status in (404, 422):
            return None
        raise
