"""Rasa's calls to the action server over kept connections, the domain's JSON written once (patch 21
in patches.py).

Rasa 3.6's EndpointConfig.request opens a new aiohttp session, and so a new TCP connection, for
every custom action it runs, and aiohttp writes the domain (about 20 KB of JSON, the same for the
model's whole life) into every request anew. KeptEndpointConfig.request is Rasa's request with one
session per event loop whose idle connections are used again for up to KEEPALIVE_SECONDS (less than
the 5 s after which the action server's Sanic closes them, so a request never goes out on a
connection the server is closing), and with the request body written as aiohttp writes it
(json.dumps, UTF-8) but the domain's part copied from its first writing. This module imports Rasa
and aiohttp: only patch 21 imports it, after the version check.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import aiohttp
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

# Under Sanic's KEEP_ALIVE_TIMEOUT (5 s), which closes an idle connection from the server's side.
KEEPALIVE_SECONDS = 2.0
DOMAIN_KEY = "domain"
# json.dumps's separators, as aiohttp writes a request's JSON.
_DOMAIN_PART = ', "domain": '

# The domain dict last written and its JSON. Rasa's Domain.as_dict() hands out the same dict for
# the model's life, so the writing is kept for that object (held here, so its id is never reused).
_written_domain: tuple[Any, str] | None = None
# The kept sessions still open, closed when the server stops (close_sessions).
_sessions: list[aiohttp.ClientSession] = []


def domain_json(domain: Any) -> str:
    global _written_domain
    written = _written_domain
    if written is None or written[0] is not domain:
        written = (domain, json.dumps(domain))
        _written_domain = written
    return written[1]


def request_body(body: dict[str, Any]) -> bytes:
    """`json.dumps(body).encode()`, with the domain's part (when it is the last key, as Rasa's
    RemoteAction puts it) copied from its first writing."""
    if not body or next(reversed(body)) != DOMAIN_KEY or not isinstance(body[DOMAIN_KEY], dict):
        return json.dumps(body).encode()
    rest = {key: value for key, value in body.items() if key != DOMAIN_KEY}
    head = json.dumps(rest)
    if rest:
        return (head[:-1] + _DOMAIN_PART + domain_json(body[DOMAIN_KEY]) + "}").encode()
    return ('{"domain": ' + domain_json(body[DOMAIN_KEY]) + "}").encode()


class KeptEndpointConfig(EndpointConfig):
    """The action server's endpoint, its requests over one session per event loop."""

    _session: aiohttp.ClientSession | None = None
    _session_loop: asyncio.AbstractEventLoop | None = None

    def kept_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or self._session_loop is not loop:
            # As Rasa's EndpointConfig.session(), with connections kept; no limit on their number
            # (Rasa's sessions had none between them).
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None
            )
            session = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS),
            )
            self._session, self._session_loop = session, loop
            _sessions[:] = [kept for kept in _sessions if not kept.closed] + [session]
        return session

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Rasa's EndpointConfig.request (Rasa 3.6.21) over the kept session, a `json` body
        written by request_body()."""
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if "headers" in kwargs:
            headers.update(kwargs["headers"])
            del kwargs["headers"]
        if self.headers:
            headers.update(self.headers)
        url = concat_url(self.url, subpath)
        sslcontext = None
        if self.cafile:
            try:
                sslcontext = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, '{self.cafile}' does not exist."
                ) from e
        if "json" in kwargs:
            kwargs["data"] = request_body(kwargs.pop("json"))
            headers.setdefault("Content-Type", "application/json")
        async with self.kept_session().request(
            method,
            url,
            headers=headers,
            params=self.combine_parameters(kwargs),
            compress=compress,
            ssl=sslcontext,
            **kwargs,
        ) as response:
            if response.status >= 400:
                raise ClientResponseError(
                    response.status, response.reason, await response.content.read()
                )
            try:
                return await response.json()
            except aiohttp.ContentTypeError:
                return None


async def close_sessions(*_: Any) -> None:
    """Closes the kept sessions of the running event loop (a Sanic listener after the server
    stops; tests after their calls)."""
    loop = asyncio.get_running_loop()
    for session in list(_sessions):
        if not session.closed and session._loop is loop:
            await session.close()
    _sessions[:] = [session for session in _sessions if not session.closed]


def kept(endpoint: Any) -> Any:
    """The kept version of Rasa's action endpoint, one per endpoint object; anything else (no
    endpoint, another class of endpoint) as it is."""
    if type(endpoint) is not EndpointConfig:
        return endpoint
    kept_endpoint = endpoint.__dict__.get("_lotse_kept")
    if kept_endpoint is None:
        kept_endpoint = KeptEndpointConfig.__new__(KeptEndpointConfig)
        kept_endpoint.__dict__.update(endpoint.__dict__)
        endpoint.__dict__["_lotse_kept"] = kept_endpoint
    return kept_endpoint
