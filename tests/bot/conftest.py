"""Shared fixtures: the real kiosk API, action server and Rasa server, started once per session."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from servers import BOT_TOKEN, Servers, model_path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = Servers(tmp_path_factory.mktemp("bot-servers"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def kiosk_api(servers: Servers) -> str:
    """Base URL of a real kiosk API on a fresh SQLite database with the demo site seeded."""
    url = servers.api_url or servers.start_api()
    os.environ["LOTSE_API_URL"] = url
    os.environ["LOTSE_BOT_TOKEN"] = BOT_TOKEN
    # The topic search index is built in the background at start-up (seconds of CPU): wait for it once here,
    # so no test's first search runs into the action server's 10 s timeout on a busy machine.
    import requests

    requests.get(f"{url}/api/v1/content/search", params={"q": "jobcenter", "language": "de"}, timeout=300).raise_for_status()
    return url


@pytest.fixture(scope="session")
def rasa_server(servers: Servers, kiosk_api: str) -> str:
    if not servers.actions_url:
        servers.start_actions()
    return servers.rasa_url or servers.start_rasa(model_path())
