"""A real Lotse server on its own temporary SQLite database, and the system Chromium driven by
Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port
from tests.support.processes import uvicorn_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LOTSE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "admin-password-for-web-tests"
BOT_TOKEN = "web-tests-bot-token-0123456789abcdef"
AXE = ROOT / "kiosk_api" / "web" / "static" / "vendor" / "axe.min.js"


@dataclass(frozen=True)
class WebServer:
    base: str
    env: dict[str, str]

    def add_sites(
        self, *sites: str, staff: tuple[str, ...] = (), areas: tuple[str, ...] = ()
    ) -> None:
        """Sites `CODE:NAME` copied from the default site's file, staff
        `USER:ROLE:PASSWORD:SITE,SITE` working for those sites, and area table lines
        `SITE:POSTCODE` (tests/web/sites.py)."""
        args = [arg for site in sites for arg in ("--site", site)]
        args += [arg for member in staff for arg in ("--staff", member)]
        args += [arg for area in areas for arg in ("--area", area)]
        subprocess.run(
            [sys.executable, "-m", "tests.web.sites", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


@contextmanager
def web_server(
    *, port: int | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """A fresh database seeded with the site, an admin and 3 days of slots, then uvicorn on a
    free port; stopped (streams cut) at the end."""
    with serve(port=port, extra_env=extra_env) as server:
        yield server.base


@contextmanager
def serve(
    *, port: int | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[WebServer]:
    """web_server, with the server's environment to seed more into its database."""
    with tempfile.TemporaryDirectory(prefix="lotse-web-") as folder:
        port = port or free_port()
        env = {
            **os.environ,
            "LOTSE_DATABASE_URL": f"sqlite:///{folder}/web.db",
            "LOTSE_ENVIRONMENT": "test",
            "LOTSE_PORT": str(port),
            "LOTSE_NOTIFICATION_DISPATCHER": "false",
            "LOTSE_BOT_TOKEN": BOT_TOKEN,
            # Every page of every test comes from 127.0.0.1: one client for the per-address limit.
            "LOTSE_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000",
            "LOTSE_RATE_LIMIT_LOGIN_PER_MINUTE": "1000",
        }
        env.pop("LOTSE_RASA_URL", None)
        env.update(extra_env or {})
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.support.seeding",
                "--slot-days",
                # a week and a day: future weekday slots whatever the day and hour the tests run
                "8",
                "--staff",
                f"admin:admin:{ADMIN_PASSWORD}",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with uvicorn_server(
            "kiosk_api.main:app",
            env=env,
            port=port,
            log_dir=Path(folder),
            name="kiosk-api",
            extra_args=("--timeout-graceful-shutdown", "1"),
            startup_seconds=90,
        ) as base:
            yield WebServer(base=base, env=env)


def launch(playwright):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
