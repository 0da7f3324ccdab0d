"""One settings object for the kiosk API, read from LOTSE_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    # The site of requests that name none (unenrolled kiosks, a chat that has not said where it
    # lives); empty: the only active site, else the request must name one (400 site_required).
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
    # Each further lockout of one code lasts twice as long as the one before, up to the maximum.
    proof_lockout_minutes: float = 15
    proof_lockout_max_minutes: float = 24 * 60
    # Wrong proofs and unknown codes per address across all codes (a lobby kiosk is one address);
    # the bot relays every chat, so it has its own, larger budget.
    proof_failures_per_address: int = 30
    proof_failures_per_bot: int = 300
    proof_failure_window_minutes: float = 15
    rate_limit_public_per_minute: int = 120
    rate_limit_bot_per_minute: int = 3000
    rate_limit_login_per_minute: int = 10
    # Behind a reverse proxy: limits key on X-Forwarded-For only when the TCP peer is one of these
    # (comma-separated IPs or CIDRs, e.g. 10.0.0.5,fd00::/64); empty: always on the TCP peer.
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    # Rate limits and login lockouts in this Redis (redis:// or rediss://), shared by every worker
    # and instance; unset: each worker process keeps its own.
    redis_url: str | None = None
    # Failed staff logins per (user, address) and per address over all usernames lock that key;
    # each further lockout lasts twice as long, up to the maximum.
    login_max_failures: int = 10
    login_max_failures_per_address: int = 30
    login_failure_window_seconds: float = 15 * 60
    login_lockout_seconds: float = 60
    login_lockout_max_seconds: float = 24 * 60 * 60
    default_retention_days: int = 90
    # Anonymous bookings (no record) per source and site-local day; 0 refuses that source; staff
    # and bookings for a record are never capped.
    anonymous_bookings_per_address_per_day: int = Field(default=3, ge=0)
    anonymous_bookings_per_device_per_day: int = Field(default=200, ge=0)
    anonymous_bookings_per_bot_per_day: int = Field(default=1000, ge=0)
    anonymous_bookings_per_conversation_per_day: int = Field(default=3, ge=0)
    # Anonymous places of a slot: capacity × share rounded down, at least 1 when the share is above
    # 0 (a one-place slot stays bookable); the rest waits for registered clients and the desk.
    anonymous_slot_share: float = Field(default=0.5, ge=0, le=1)
    # A kiosk's one-time enrolment code is valid this long after a site admin created it.
    device_enrolment_hours: int = Field(default=24, ge=1, le=24 * 7)
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

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_from_list(cls, value: object) -> object:
        """Comma-separated addresses or networks; a bare address is a network of one."""
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, (list, tuple)):
            return tuple(ip_network(str(item), strict=False) for item in value)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: str | None) -> str | None:
        if value and urlsplit(value).scheme not in ("redis", "rediss"):
            raise ValueError("LOTSE_REDIS_URL must start with redis:// or rediss://")
        return value or None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
