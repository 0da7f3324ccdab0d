"""The web chat when the cluster's proxy refuses it (issue 11): the page comes through the
cluster's real HAProxy configuration (scripts/cluster_proxy.sh) in front of one kiosk API, and no
Rasa instance takes the chat, so the proxy answers the widget's socket.io requests with its busy
answer (503, as past its queue). The page then says "many people are writing right now, please try
again in a minute" in the client's language, also after a language switch, instead of
"connecting…" forever.

Needs Debian's haproxy (make test-web installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.ports import free_port
from tests.support.processes import start_process
from tests.web.conftest import assert_accessible
from tests.web.harness import ROOT, web_server


@pytest.fixture(scope="module")
def proxied_base() -> Iterator[str]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed here: run `make test-web`, which installs it")
    web_port, proxy_port = free_port(), free_port()
    proxy = f"http://127.0.0.1:{proxy_port}"
    with (
        tempfile.TemporaryDirectory(prefix="lotse-busy-") as folder,
        # The page names the proxy as the chat's address, as in the cluster.
        web_server(port=web_port, extra_env={"LOTSE_RASA_URL": proxy}),
    ):
        nobody = f"127.0.0.1:{free_port()}"  # nothing listens there: no Rasa, no action server
        env = {
            **os.environ,
            "LOTSE_PROXY_PORT": str(proxy_port),
            "LOTSE_PROXY_ACTIONS_PORT": str(free_port()),
            "LOTSE_PROXY_STATS_PORT": str(free_port()),
            "LOTSE_PROXY_BOT_API_PORT": str(free_port()),
            "LOTSE_PROXY_KIOSK": f"kiosk-1=127.0.0.1:{web_port}",
            "LOTSE_PROXY_ACTIONS": f"actions-1={nobody}",
            "LOTSE_PROXY_RASA": f"rasa-1={nobody}",
        }
        subprocess.run(
            [str(ROOT / "scripts" / "cluster_proxy.sh"), folder], env=env, check=True, cwd=ROOT
        )
        haproxy = start_process(
            "haproxy",
            ["haproxy", "-db", "-f", f"{folder}/haproxy.cfg"],
            env=env,
            log_dir=Path(folder),
        )
        try:
            haproxy.wait_until_answering(f"{proxy}/health", timeout=30)
            yield proxy
        finally:
            haproxy.stop()


def test_the_chat_page_says_busy_in_the_clients_language_when_the_proxy_refuses(
    browser: Any, proxied_base: str
) -> None:
    context = browser.new_context(
        base_url=proxied_base, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    refusals: list[tuple[int, str]] = []

    def seen(response: Any) -> None:
        if "/socket.io/" in response.url:
            refusals.append((response.status, response.text()))

    page.on("response", seen)
    arabic = page.request.get("/api/v1/ui-strings?language=ar&page=chat").json()["strings"]
    page.goto("/chat?lang=ar")
    alert = page.locator("#error")
    page.wait_for_function(
        "text => document.getElementById('error').textContent === text", arg=arabic["chat.busy"]
    )
    assert alert.get_attribute("role") == "alert"
    assert page.locator("html").get_attribute("dir") == "rtl"
    # What the widget got: the proxy's busy answer, which a REST client recognises too.
    status, body = refusals[0]
    assert status == 503 and '"error":"busy"' in body

    # The client switches to Tigrinya while the chat is still refused: the text follows.
    tigrinya = page.request.get("/api/v1/ui-strings?language=ti&page=chat").json()["strings"]
    assert tigrinya["chat.busy"] != arabic["chat.busy"]
    page.locator('#languages button[data-lang="ti"]').click()
    page.wait_for_function(
        "text => document.getElementById('error').textContent === text", arg=tigrinya["chat.busy"]
    )
    assert_accessible(page)
    context.close()
