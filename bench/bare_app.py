"""The kiosk API plus one bare endpoint, served only by the benchmark: the same process,
middleware and server."""

from __future__ import annotations

from kiosk_api.main import app


@app.get("/bench/bare", include_in_schema=False)
def bare() -> dict[str, str]:
    """No database, no dependencies: the floor the check-in path is compared with."""
    return {"status": "ok"}
