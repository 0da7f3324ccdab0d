"""Shared fixtures: the real kiosk API, action server and Rasa server, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import BOT_TOKEN, Servers, model_path


@pytest.fixture(scope="session", autouse=True)
def no_rasa_telemetry() -> Iterator[None]:
    """Rasa must not reach the network from the tests; restored after the session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RASA_TELEMETRY_ENABLED", "false")
        yield


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = Servers(tmp_path_factory.mktemp("bot-servers"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def kiosk_api(servers: Servers) -> Iterator[str]:
    """Base URL of a real kiosk API on a fresh SQLite database with the demo site seeded; the
    action code's env points at it."""
    url = servers.api_url or servers.start_api()
    # The topic search index is built in the background at start-up (seconds of CPU): wait for it
    # once here, so no test's first search runs into the action server's 10 s timeout on a busy
    # machine.
    import requests

    requests.get(
        f"{url}/api/v1/content/search", params={"q": "jobcenter", "language": "de"}, timeout=300
    ).raise_for_status()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOTSE_API_URL", url)
        patch.setenv("LOTSE_BOT_TOKEN", BOT_TOKEN)
        yield url


@pytest.fixture(scope="session")
def rasa_server(servers: Servers, kiosk_api: str) -> str:
    if not servers.actions_url:
        servers.start_actions()
    return servers.rasa_url or servers.start_rasa(model_path())
