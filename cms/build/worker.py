"""Run the ``builds`` queue worker in a daemon thread (the demo: one process, publish → site in seconds),
with the clock of scheduled publishing beside it."""

from __future__ import annotations

import threading

from django.db import connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from cms.build.schedule import Ticker


def start_worker_thread(*, interval: float = 0.5, schedule: bool = True) -> threading.Thread:
    """The worker in a daemon thread; with ``schedule`` also the clock (scheduled publishing and
    expiry, the daily jobs: ``cms.build.schedule``), in its own thread."""
    worker = Worker(
        queue_names=["builds"], interval=interval, batch=False, backend_name="builds", startup_delay=False,
        max_tasks=None, worker_id=f"inproc-{get_random_string(12)}", excluded_queue_names=[],
    )
    def run() -> None:
        try:
            worker.run()
        finally:
            if thread.ticker is not None:  # the clock stops with the worker
                thread.ticker.stop()
            connections.close_all()  # this thread's connections; the worker may be stopped and joined

    thread = threading.Thread(target=run, name="govsite-build-worker", daemon=True)
    thread.worker = worker  # lets callers stop it: thread.worker.running = False
    thread.ticker = Ticker() if schedule else None
    thread.start()
    if thread.ticker is not None:
        thread.ticker.start()
    return thread
