"""The rasa_sdk action server, admitting only Rasa: `python -m bot.runtime.action_server --actions
bot.actions …`.

rasa_sdk checks no caller, and its actions act for clients with the bot's service token on the kiosk
API. Every request to /webhook must carry `Authorization: Bearer <LOTSE_ACTIONS_SECRET>`, which Rasa
sends from its endpoints.yml (bot/scripts/write_config.py); /health stays open. Without the secret
the server does not start.
"""

from __future__ import annotations

import hmac
import os
import sys
from typing import Any

SECRET_VARIABLE = "LOTSE_ACTIONS_SECRET"
MIN_SECRET_CHARACTERS = 32
OPEN_PATHS = frozenset({"/health"})


class MissingActionsSecret(RuntimeError):
    """LOTSE_ACTIONS_SECRET is unset or too short to be a secret."""


def actions_secret(environ: dict[str, str] | None = None) -> str:
    secret = (environ if environ is not None else os.environ).get(SECRET_VARIABLE, "")
    if len(secret) < MIN_SECRET_CHARACTERS:
        raise MissingActionsSecret(
            f"set {SECRET_VARIABLE} to a random secret of at least {MIN_SECRET_CHARACTERS} "
            "characters (scripts/run.sh makes one in var/secrets.env); Rasa sends it with every "
            "action call"
        )
    return secret


def authorized(header: str | None, secret: str) -> bool:
    expected = f"Bearer {secret}".encode()
    return header is not None and hmac.compare_digest(header.encode(), expected)


def guarded_create_app(secret: str) -> Any:
    """rasa_sdk's create_app, with a request middleware refusing callers without the secret."""
    from rasa_sdk import endpoint
    from sanic.response import json as json_response

    rasa_sdk_create_app = endpoint.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = rasa_sdk_create_app(*args, **kwargs)

        async def only_rasa(request: Any) -> Any:
            if request.path in OPEN_PATHS or authorized(
                request.headers.get("Authorization"), secret
            ):
                return None
            return json_response({"error": "unauthorized"}, status=401)

        app.register_middleware(only_rasa, "request")
        return app

    return create_app


def main() -> None:
    try:
        secret = actions_secret()
    except MissingActionsSecret as error:
        sys.exit(f"action server not started: {error}")
    from bot.runtime import no_tensorflow

    # The actions import Rasa's NLG modules (bot/nlg): the same TensorFlow stand-in as Rasa's.
    no_tensorflow.install()
    from rasa_sdk import endpoint
    from rasa_sdk.__main__ import main as rasa_sdk_main

    endpoint.create_app = guarded_create_app(secret)
    rasa_sdk_main()


if __name__ == "__main__":
    main()
