"""The service's background jobs, built from the settings."""

from __future__ import annotations

import httpx

from kiosk_api.config import Settings
from kiosk_api.jobs.runner import Jobs, PeriodicJob


def notification_job(settings: Settings) -> PeriodicJob:
    from kiosk_api.notifications.dispatcher import deliver_pending
    from kiosk_api.notifications.service import pushes_waiting

    client = httpx.Client(timeout=10)
    return PeriodicJob(
        "notifications",
        settings.notification_poll_seconds,
        lambda: deliver_pending(settings, client),
        wake=pushes_waiting,
        close=client.close,
    )


def purge_job(settings: Settings) -> PeriodicJob:
    from kiosk_api.retention.service import purge_now

    minutes = settings.purge_interval_minutes
    # The first round waits one interval, so start-up stays quick and a restart does not purge at
    # once.
    return PeriodicJob("retention-purge", minutes * 60, purge_now, first_delay_seconds=minutes * 60)


def service_jobs(settings: Settings) -> Jobs:
    jobs = []
    if settings.rasa_url and settings.rasa_jwt_secret and settings.notification_dispatcher:
        jobs.append(notification_job(settings))
    if settings.purge_interval_minutes > 0:
        jobs.append(purge_job(settings))
    return Jobs(jobs)
