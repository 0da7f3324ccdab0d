"""A bare FastAPI app with one /health route: no middleware, no database; the floor the kiosk API's
/health is compared with (bench/api_wrk.py)."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
