"""Shared fixtures: the real kiosk API, action server and Rasa server, started once per session."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
import requests
from servers import (
    API_PY,
    AR_DE,
    BOT_TOKEN,
    DE_AR,
    ROOT,
    STAFF_PASSWORD,
    STAFF_USER,
    Servers,
    model_path,
)

from bot.runtime import no_tensorflow

# The bot environment has no TensorFlow: the stand-in goes in before any test module imports Rasa.
no_tensorflow.install()


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


@pytest.fixture(scope="module")
def desk(kiosk_api: str) -> dict[str, str]:
    """The desk tester's login headers."""
    login = requests.post(
        f"{kiosk_api}/api/v1/staff/login",
        json={"username": STAFF_USER, "password": STAFF_PASSWORD},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="session")
def translation(servers: Servers, kiosk_api: str) -> None:
    """Tiny but genuine Arabic<->German machine translation packages, installed into the running
    kiosk API."""
    script = (
        "import sys, json; from pathlib import Path; from tests.translation.argos_builder import "
        "build_argos_package as b; out = Path(sys.argv[1]); pairs = json.loads(sys.argv[2]); "
        "[b(out / name, from_code=name[:2], to_code=name[3:], lexicon=lexicon) for name, lexicon "
        "in pairs.items()]"
    )
    built = servers.workdir / "argosmodels"
    subprocess.run(
        [str(API_PY), "-c", script, str(built), json.dumps({"ar_de": AR_DE, "de_ar": DE_AR})],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    for package in sorted(built.rglob("*.argosmodel")):
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "lotse"), "translations", "install", str(package)],
            cwd=ROOT,
            env=servers.api_env(),
            check=True,
            capture_output=True,
            timeout=300,
        )
