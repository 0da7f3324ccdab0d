"""Gap 3: placeholder secrets ("change-me") were accepted whenever LOTSE_ENVIRONMENT was not
production, and the Rasa JWT secret was never checked. Placeholders now pass only in development
or test on loopback."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kiosk_api.config import PLACEHOLDER_SECRET, Settings

REAL = "r" * 48


@pytest.mark.parametrize(
    ("environment", "host", "overrides"),
    [
        pytest.param(
            "production",
            "127.0.0.1",
            {"secret_key": PLACEHOLDER_SECRET},
            id="production-placeholder-key",
        ),
        pytest.param(
            "development",
            "0.0.0.0",
            {"bot_token": PLACEHOLDER_SECRET},
            id="development-on-all-interfaces",
        ),
        pytest.param("test", "192.168.1.10", {"secret_key": "short"}, id="test-on-a-lan-address"),
        pytest.param(
            "production",
            "127.0.0.1",
            {"rasa_url": "http://rasa:5005", "rasa_jwt_secret": PLACEHOLDER_SECRET},
            id="production-placeholder-jwt",
        ),
        pytest.param(
            "production",
            "127.0.0.1",
            {"rasa_url": "http://rasa:5005"},
            id="production-rasa-without-jwt-secret",
        ),
    ],
)
def test_placeholder_or_short_secrets_are_refused_outside_loopback_development(
    environment: str, host: str, overrides: dict[str, str]
) -> None:
    values = {
        "secret_key": REAL,
        "bot_token": REAL,
        "environment": environment,
        "host": host,
        **overrides,
    }
    with pytest.raises(ValidationError, match="random value of 32"):
        Settings(**values)  # type: ignore[arg-type]


def test_development_on_loopback_may_use_placeholders_and_production_with_real_secrets_starts() -> (
    None
):
    assert (
        Settings(
            environment="development",
            host="127.0.0.1",
            secret_key=PLACEHOLDER_SECRET,
            bot_token=PLACEHOLDER_SECRET,
        ).secret_key
        == PLACEHOLDER_SECRET
    )
    settings = Settings(
        environment="production",
        host="0.0.0.0",
        secret_key=REAL,
        bot_token=REAL,
        rasa_url="http://rasa:5005",
        rasa_jwt_secret=REAL,
    )
    assert settings.rasa_jwt_secret == REAL
