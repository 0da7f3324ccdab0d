"""Local stand-ins of the messengers' HTTP APIs: small servers on loopback that record what Lotse
sends and deliver what a phone would. The session's Rasa server (tests/bot/servers.py) runs its
messenger channels, the production code, against them, configured through the environment.

Each module here has `start(workdir: Path) -> StandIn`; STAND_INS lists the modules the session
starts."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

STAND_INS: tuple[str, ...] = ("telegram", "twilio", "whatsapp")


class StandIn(Protocol):
    # What the Rasa server's environment needs to point its channel at this stand-in.
    env: dict[str, str]

    def stop(self) -> None: ...


@dataclass
class Messengers:
    running: dict[str, StandIn] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for stand_in in self.running.values():
            merged.update(stand_in.env)
        return merged

    def stop(self) -> None:
        for stand_in in self.running.values():
            stand_in.stop()


def start_all(workdir: Path) -> Messengers:
    messengers = Messengers()
    for name in STAND_INS:
        module = importlib.import_module(f"tests.support.standins.{name}")
        messengers.running[name] = module.start(workdir)
    return messengers
