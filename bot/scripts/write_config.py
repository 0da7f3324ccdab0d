"""Writes the Rasa server's endpoints and credentials files from the environment (see
start_rasa.sh)."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

BOT_DIR = Path(__file__).resolve().parents[1]
# Rasa loads a channel that is not built in by its class's module path (credentials key).
WHATSAPP_CHANNEL = "bot.channels.whatsapp.WhatsAppInput"
WHATSAPP_API_URL = "https://graph.facebook.com/v21.0"


# One setting for the Rasa server and the kiosk API, which erases conversations in the same store.
TRACKER_SETTING = "LOTSE_TRACKER_DATABASE_URL"
RENAMED_SETTING = "TRACKER_DB_URL"


class TrackerSettingRenamed(SystemExit):
    pass


def tracker_store(var: Path) -> dict[str, Any]:
    if os.environ.get(RENAMED_SETTING):
        raise TrackerSettingRenamed(
            f"{RENAMED_SETTING} is now {TRACKER_SETTING}, one setting for the Rasa server and the "
            "kiosk API (erasure deletes conversations there): rename it and set it for both"
        )
    url = os.environ.get(TRACKER_SETTING)
    if not url:
        return {"type": "SQL", "dialect": "sqlite", "db": str(var / "tracker.db")}
    if url.startswith("sqlite:///"):
        return {"type": "SQL", "dialect": "sqlite", "db": url.removeprefix("sqlite:///")}
    parts = urlsplit(url)
    dialect = (
        parts.scheme.split("+")[0]
        .replace("postgres", "postgresql")
        .replace("postgresqlql", "postgresql")
    )
    store = {"type": "SQL", "dialect": dialect, "db": parts.path.lstrip("/")}
    if parts.hostname:
        store["url"] = parts.hostname
    if parts.port:
        store["port"] = parts.port
    if parts.username:
        store["username"] = unquote(parts.username)
    if parts.password:
        store["password"] = unquote(parts.password)
    return store


def lock_store() -> dict[str, Any] | None:
    url = os.environ.get("LOTSE_REDIS_URL")
    if not url:
        return None
    parts = urlsplit(url)
    # Rasa's own "redis" lock store is not atomic across processes (see bot/runtime/lock_store.py).
    store: dict[str, Any] = {
        "type": "bot.runtime.lock_store.AtomicRedisLockStore",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
    }
    if parts.path.strip("/").isdigit():
        store["db"] = int(parts.path.strip("/"))
    if parts.password:
        store["password"] = unquote(parts.password)
    return store


def endpoints(var: Path) -> dict[str, Any]:
    action_endpoint: dict[str, Any] = {
        "url": os.environ.get("LOTSE_ACTIONS_URL", "http://127.0.0.1:5055/webhook")
    }
    secret = os.environ.get("LOTSE_ACTIONS_SECRET")
    if secret:  # the action server admits only callers with it (bot/runtime/action_server.py)
        action_endpoint["headers"] = {"Authorization": f"Bearer {secret}"}
    config: dict[str, Any] = {
        "action_endpoint": action_endpoint,
        "nlg": {"type": "bot.nlg.GettextNLG"},
        "tracker_store": tracker_store(var),
    }
    lock = lock_store()
    if lock:
        config["lock_store"] = lock
    return config


# Lotse's Telegram channel (bot/channels/telegram.py), named by module path; Rasa's own "telegram"
# neither checks the webhook secret nor talks to any Bot API server but api.telegram.org.
TELEGRAM_CHANNEL = "bot.channels.telegram.TelegramInput"
TELEGRAM_API_URL = "https://api.telegram.org"
# What Telegram accepts as setWebhook's secret_token.
TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramSecretInvalid(SystemExit):
    pass


def telegram_credentials() -> dict[str, Any]:
    """The channel refuses every webhook call without a valid secret; production refuses to start
    without one."""
    env = os.environ
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "")
    if (secret or env.get("LOTSE_ENVIRONMENT") == "production") and not TELEGRAM_SECRET.match(
        secret
    ):
        raise TelegramSecretInvalid(
            "TELEGRAM_WEBHOOK_SECRET must be set to 1-256 letters, digits, '_' or '-' (Telegram "
            "sends it back with every update; e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`)"
        )
    return {
        "access_token": env["TELEGRAM_ACCESS_TOKEN"],
        "webhook_secret": secret,
        "webhook_url": env.get("TELEGRAM_WEBHOOK_URL", ""),
        "api_url": env.get("TELEGRAM_API_URL") or TELEGRAM_API_URL,
    }


def credentials() -> dict[str, Any]:
    """socket.io always; REST outside production only (it believes any `sender` it is given, so
    anyone could write into any conversation); messenger channels only when their secrets are in
    the environment."""
    with (BOT_DIR / "credentials.yml").open(encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    env = os.environ
    if env.get("LOTSE_ENVIRONMENT") == "production":
        config.pop("rest", None)
    if env.get("TELEGRAM_ACCESS_TOKEN"):
        config[TELEGRAM_CHANNEL] = telegram_credentials()
    if env.get("TWILIO_ACCOUNT_SID"):
        # Lotse's SMS channel (Rasa's own "twilio" blocks the event loop and checks no signature);
        # TWILIO_WEBHOOK_URL is the public URL Twilio calls and signs.
        config["bot.channels.sms.TwilioSmsInput"] = {
            "account_sid": env["TWILIO_ACCOUNT_SID"],
            "auth_token": env.get("TWILIO_AUTH_TOKEN", ""),
            "twilio_number": env.get("TWILIO_NUMBER", ""),
            "webhook_url": env.get("TWILIO_WEBHOOK_URL", ""),
            "api_url": env.get("TWILIO_API_URL", "https://api.twilio.com"),
        }
    if env.get("WHATSAPP_ACCESS_TOKEN"):
        config[WHATSAPP_CHANNEL] = {
            "access_token": env["WHATSAPP_ACCESS_TOKEN"],
            "phone_number_id": env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            "app_secret": env.get("WHATSAPP_APP_SECRET", ""),
            "verify_token": env.get("WHATSAPP_VERIFY_TOKEN", ""),
            "api_url": env.get("WHATSAPP_API_URL") or WHATSAPP_API_URL,
            # Delivery statuses go to the kiosk API for the desk's hand-over view.
            "kiosk_api_url": env.get("LOTSE_API_URL", ""),
            "bot_token": env.get("LOTSE_BOT_TOKEN", ""),
        }
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoints", type=Path, required=True)
    parser.add_argument("--credentials", type=Path, required=True)
    parser.add_argument("--var", type=Path, required=True)
    args = parser.parse_args()
    for path, data in ((args.endpoints, endpoints(args.var)), (args.credentials, credentials())):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        path.chmod(0o600)


if __name__ == "__main__":
    main()
