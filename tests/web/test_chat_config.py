"""The chat page's socket.io address: Rasa's own URL, or the public one a deployment sets for
phones."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from pydantic import ValidationError

from kiosk_api.config import Settings
from tests.web.harness import web_server

BOOT = re.compile(r'<script type="application/json" id="boot">(.*?)</script>', re.S)


def chat_page(base: str) -> tuple[dict, str]:
    response = httpx.get(f"{base}/chat?lang=ar", timeout=10)
    assert response.status_code == 200
    return json.loads(BOOT.search(response.text).group(1))["config"], response.headers[
        "content-security-policy"
    ]


def test_phones_get_the_public_socket_url_and_only_it_is_allowed_to_connect() -> None:
    env = {
        "LOTSE_RASA_URL": "http://127.0.0.1:5005",
        "LOTSE_CHAT_SOCKET_URL": "https://chat.jobcenter.example/",
    }
    with web_server(extra_env=env) as base:
        config, policy = chat_page(base)
    assert config["socket_url"] == "https://chat.jobcenter.example"
    connect = re.search(r"connect-src ([^;]*)", policy).group(1).split()
    assert connect == ["'self'", "https://chat.jobcenter.example", "wss://chat.jobcenter.example"]


def test_without_a_public_socket_url_the_page_uses_rasas_url() -> None:
    with web_server(extra_env={"LOTSE_RASA_URL": "http://127.0.0.1:5005/"}) as base:
        config, policy = chat_page(base)
    assert config["socket_url"] == "http://127.0.0.1:5005"
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005;" in policy


@pytest.mark.parametrize(
    "url",
    [
        "https://chat.jobcenter.example/rasa",
        "chat.jobcenter.example",
        "ftp://chat.jobcenter.example",
        "https://chat.jobcenter.example/?x=1",
    ],
)
def test_a_public_socket_url_must_be_an_origin(url: str) -> None:
    # socket.io-client would read a path as a namespace: such a setting is refused at start, not at
    # the first chat.
    with pytest.raises(ValidationError, match="LOTSE_CHAT_SOCKET_URL"):
        Settings(chat_socket_url=url)
