"""Ask the static site to rewrite the service pages (a "plugins only" build), cheaply and safely.

The modules call :func:`request_site_refresh` when data shown by ``services.plugin`` changed (a
public letter answered, edited, withdrawn or deleted; a rating; the daily job). It records a
``plugins`` pending change in the caller's transaction (``cms.build.jobs.request_plugin_refresh``);
the build task is enqueued once the transaction commits, and all waiting requests make one build.

* A failure never breaks the caller's save: the request runs in a savepoint, errors are logged.
* ``with batched(reason):`` — requests made inside (e.g. one per default rating of the daily job)
  become one request when the block ends.
"""

from __future__ import annotations

import importlib
import logging
import threading
from contextlib import contextmanager

from django.db import transaction

logger = logging.getLogger(__name__)
_local = threading.local()


def request_site_refresh(reason: str) -> bool:
    """Ask for a plugin refresh of the static site; False when none was recorded (no queue, no
    plugin rendering service data, or an error, which is logged)."""
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch.append(reason)
        return True
    try:
        jobs = importlib.import_module("cms.build.jobs")
    except ImportError:
        jobs = None
    request = getattr(jobs, "request_plugin_refresh", None)
    if request is None:
        logger.info("site_generator build queue not available; service pages change at the next site build")
        return False
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the caller's save intact
            return request(reason) is not False
    except Exception:
        logger.exception("could not request a site build after %s", reason)
        return False


@contextmanager
def batched(reason: str):
    """Collect the refresh requests made in this thread inside the block into one request."""
    if getattr(_local, "batch", None) is not None:  # nested: the outer block makes the request
        yield
        return
    _local.batch = requests = []
    try:
        yield
    finally:
        _local.batch = None
        if requests:
            request_site_refresh(f"{reason}（{len(requests)} 项）")
