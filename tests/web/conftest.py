from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.harness import ADMIN_PASSWORD, AXE, BOT_TOKEN, WebServer, launch, serve

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def web_server() -> Iterator[WebServer]:
    with serve() as server:
        yield server


@pytest.fixture(scope="session")
def base_url(web_server: WebServer) -> str:
    return web_server.base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any, base_url: str) -> Iterator[Any]:
    """Opens pages in fresh browser contexts (no shared storage), each closed after the test."""
    contexts = []

    def make(path: str = "/kiosk", **options: Any) -> Any:
        options = {"locale": "de-DE", "viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(base_url=base_url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(path)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


@pytest.fixture
def admin_token(api: httpx.Client) -> str:
    response = api.post(
        "/api/v1/staff/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return response.json()["access_token"]


@pytest.fixture
def chat_handover(api: httpx.Client) -> str:
    """A chat the assistant handed over to the desk (as the action server does), with one client
    message."""
    bot = {"Authorization": f"Bearer {BOT_TOKEN}"}
    conversation = f"web-test-{id(api)}"
    api.post(
        "/api/v1/handovers",
        json={"conversation_id": conversation, "language": "ar", "output_channel": "socketio"},
        headers=bot,
    ).raise_for_status()
    api.post(
        f"/api/v1/handovers/{conversation}/messages", json={"text": "أحتاج إلى موعد"}, headers=bot
    ).raise_for_status()
    return conversation


def assert_accessible(page: Any) -> None:
    """axe-core in the page: no serious or critical WCAG 2.1 A/AA violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        assert AXE.is_file(), "run `make web-assets` first"
        page.add_script_tag(
            url="/static/vendor/axe.min.js"
        )  # same origin: allowed by the pages' CSP
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', "
        "'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(v => ({id: v.id, impact: v.impact, "
        "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
