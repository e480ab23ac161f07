"""What the build worker runs on the clock: Wagtail's scheduled publishing and expiry (every
minute) and the daily jobs (the self-inspection report), so no cron is needed.

Wagtail keeps the schedule (a revision's ``approved_go_live_at``, an object's ``expire_at``) and
its ``publish_scheduled`` command does the publishing; running it sends the usual
``published``/``unpublished`` signals, so a scheduled document reaches the site through the
build queue like any publish. Several worker processes may run: each slot (a minute, a day) is
claimed once through the shared cache (``cache.add``), so a job runs once per slot.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("site_generator")

LAST_RUN_KEY = "govsite:schedule:last-run"


def interval() -> int:
    """Seconds between two runs of scheduled publishing (``GOVSITE_SCHEDULE_INTERVAL``, default 60)."""
    return max(1, int(getattr(settings, "GOVSITE_SCHEDULE_INTERVAL", 60)))


def daily_jobs() -> list[Callable[[dt.date], str | None]]:
    """The daily jobs (``GOVSITE_DAILY_JOBS``: dotted paths of functions of ``today``)."""
    return [import_string(path) for path in getattr(settings, "GOVSITE_DAILY_JOBS", [])]


def publish_scheduled() -> str:
    """Run Wagtail's scheduled publishing and expiry now; returns its report."""
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    cache.set(LAST_RUN_KEY, timezone.now().isoformat(), timeout=None)
    return out.getvalue()


def last_run() -> dt.datetime | None:
    """When scheduled publishing last ran (shown in the admin)."""
    value = cache.get(LAST_RUN_KEY)
    return dt.datetime.fromisoformat(value) if value else None


def tick(now: dt.datetime | None = None) -> list[str]:
    """Run what is due at ``now``: scheduled publishing once per interval, the daily jobs once a day
    from ``GOVSITE_DAILY_HOUR`` (local time, default 2). Returns the names of the jobs run."""
    now = now or timezone.now()
    ran = []
    step = interval()
    slot = int(now.timestamp()) // step
    if cache.add(f"govsite:schedule:{slot}", 1, timeout=step * 2):
        publish_scheduled()
        ran.append("publish_scheduled")
    local = timezone.localtime(now)
    hour = int(getattr(settings, "GOVSITE_DAILY_HOUR", 2))
    if local.hour >= hour and cache.add(f"govsite:daily:{local.date().isoformat()}", 1, timeout=2 * 86400):
        for job in daily_jobs():
            try:
                line = job(local.date())
            except Exception:  # one failing job must not stop the others nor the worker
                logger.exception("每日任务 %s 失败", getattr(job, "__name__", job))
                continue
            ran.append(getattr(job, "__name__", str(job)))
            if line:
                logger.info("%s", line)
    return ran


class Ticker(threading.Thread):
    """Calls ``tick()`` every few seconds until stopped; errors are logged, never fatal."""

    def __init__(self, every: float = 5.0):
        super().__init__(name="govsite-schedule", daemon=True)
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):  # the first tick after one period: startup stays light
            close_old_connections()
            try:
                tick()
            except Exception:
                logger.exception("定时发布检查失败")
            finally:
                connection.close()

    def stop(self) -> None:
        self.stopped.set()
