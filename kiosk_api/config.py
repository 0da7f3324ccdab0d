"""One settings object for the kiosk API, read from LOTSE_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "change-me"
MIN_SECRET_CHARACTERS = 32
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOTSE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'lotse.db'}"
    # Rasa's tracker store: erasing a client deletes their conversation events there too.
    tracker_database_url: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = PLACEHOLDER_SECRET
    bot_token: str = PLACEHOLDER_SECRET
    default_site: str = "dortmund"
    sites_dir: Path = PROJECT_ROOT / "sites"
    content_dir: Path = PROJECT_ROOT / "content"
    # The assistant's example questions: the topic search ranks by them too, as the chat does.
    nlu_dir: Path = PROJECT_ROOT / "bot" / "data" / "nlu"
    locales_dir: Path = PROJECT_ROOT / "locales"
    static_dir: Path = PROJECT_ROOT / "kiosk_api" / "web" / "static"
    argos_packages_dir: Path = PROJECT_ROOT / "var" / "argos-packages"

    # Rasa's HTTP API, for staff replies and turn reminders pushed into the client's chat.
    rasa_url: str | None = None
    rasa_jwt_secret: str | None = None
    # The origin of Rasa's socket.io channel as the phone's browser reaches it (e.g.
    # https://chat.example.org behind a reverse proxy forwarding /socket.io/ to Rasa); unset:
    # rasa_url.
    chat_socket_url: str | None = None
    notification_dispatcher: bool = True
    notification_poll_seconds: float = 1.0
    # The retention purge runs by itself in the service, one instance at a time; 0 turns it off
    # (then run `lotse purge`).
    purge_interval_minutes: float = 60
    max_body_bytes: int = 64 * 1024
    # Live event streams: public pages (display, phone tickets) and staff screens in separate pools;
    # one address (a kiosk hall or a shelter's Wi-Fi behind one NAT) may hold a few dozen.
    public_streams_max: int = 200
    staff_streams_max: int = 100
    streams_per_address_max: int = 30
    staff_token_ttl_minutes: int = 8 * 60
    proof_max_failures: int = 5
    proof_lockout_minutes: int = 15
    rate_limit_public_per_minute: int = 120
    rate_limit_bot_per_minute: int = 3000
    rate_limit_login_per_minute: int = 10
    default_retention_days: int = 90
    # Write transactions in flight per process (PostgreSQL; SQLite always 1), below the 40 worker
    # threads.
    write_concurrency: int = 8
    sql_pool_size: int = 10
    sql_max_overflow: int = 10

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        """Real secrets everywhere but a development or test process bound to loopback."""
        if self.environment != "production" and self.host in LOOPBACK_HOSTS:
            return self
        secrets = {"secret_key": self.secret_key, "bot_token": self.bot_token}
        if self.rasa_url or self.rasa_jwt_secret:
            secrets["rasa_jwt_secret"] = self.rasa_jwt_secret or ""
        for name, value in secrets.items():
            if value == PLACEHOLDER_SECRET or len(value) < MIN_SECRET_CHARACTERS:
                raise ValueError(
                    f"LOTSE_{name.upper()} must be a random value of {MIN_SECRET_CHARACTERS}+ "
                    f"characters (environment {self.environment}, host {self.host}; placeholders "
                    "only in development on loopback)"
                )
        return self

    @model_validator(mode="after")
    def _chat_socket_url_is_an_origin(self) -> Settings:
        # socket.io-client reads a path in the URL as a namespace, so only scheme://host[:port] can
        # work.
        if self.chat_socket_url is not None:
            parts = urlsplit(self.chat_socket_url)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.path.strip("/")
                or parts.query
                or parts.fragment
            ):
                raise ValueError(
                    "LOTSE_CHAT_SOCKET_URL must be an origin like https://chat.example.org (no "
                    "path)"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
