"""The one clock the kiosk API reads: services take `now` from here, so a test can set the time of
day it needs instead of depending on when it runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_shift = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC) + _shift


def today_in(timezone: str) -> date:
    """The local date in `timezone` (a site's zone) by this clock."""
    return utcnow().astimezone(ZoneInfo(timezone)).date()


def today() -> date:
    """The date in the server's own zone (validation of dates clients give), by this clock."""
    return utcnow().astimezone().date()


def shift_to(moment: datetime) -> None:
    """Runs the clock from `moment` on (tests only; time keeps flowing from there)."""
    global _shift
    _shift = moment - datetime.now(UTC)


def reset() -> None:
    global _shift
    _shift = timedelta(0)
