"""Ask for the service modules' static pages to be built again, cheaply and safely.

A module calls :func:`request_site_refresh` when data its pages show changed (a public letter
answered, edited, withdrawn or deleted; a rating; the daily job). It sends the CMS's
``site_pages_changed`` signal; the CMS records a ``pages`` change in the caller's transaction and
enqueues a build once it commits (``cms.build.signals``), and all waiting requests make one build,
which reads every module's pages again and writes those that changed.

* A failure never breaks the caller's save: the receiver works in a savepoint, errors are logged.
* ``with batched(reason):`` — requests made inside (e.g. one per default rating of the daily job)
  become one request when the block ends.
* :func:`request_site_refresh_at` asks for it at a given moment (a consultation or survey opening
  or closing by date): a task on the build queue with ``run_after``, run by the same worker that
  runs the builds, so the site changes on time with nobody saving anything.
* ``documents``: the source ids of disclosure documents whose pages show the module's links
  (``ServiceModuleConfig.document_links``) and must be built again with the pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.utils import timezone
from django_tasks import task

from cms.service_modules import site_pages_changed

logger = logging.getLogger(__name__)
_local = threading.local()


def request_site_refresh(reason: str, *, sender: object = None, documents: Iterable[str] = ()) -> bool:
    """Ask for a build of the static pages (and of the named documents' pages); False when none was
    asked for (the site has no service pages, no CMS listens, or an error, which is logged)."""
    documents = sorted(set(documents))
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch.append((reason, documents))
        return True
    answered = False
    for receiver, response in site_pages_changed.send_robust(sender=sender, reason=reason, documents=documents):
        if isinstance(response, Exception):
            logger.error("could not request a site build after %s (%s)", reason, receiver,
                         exc_info=(type(response), response, response.__traceback__))
        elif response:
            answered = True
    return answered


@contextmanager
def batched(reason: str) -> Iterator[None]:
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
            request_site_refresh(f"{reason}（{len(requests)} 项）",
                                 documents={doc for _reason, docs in requests for doc in docs})


@task(backend="builds", queue_name="builds")
def refresh_site_pages(reason: str, documents: list[str] | None = None) -> bool:
    """The scheduled request (:func:`request_site_refresh_at`), run by the build worker when due."""
    return request_site_refresh(reason, documents=documents or ())


def request_site_refresh_at(moments: Iterable[dt.datetime], reason: str, *, documents: Iterable[str] = ()) -> int:
    """Schedule a refresh at each future moment (in the caller's transaction: a rolled-back save
    schedules nothing); return how many were scheduled. Past moments are skipped: the save itself
    asks for the refresh they would have made. ``documents``: as for :func:`request_site_refresh`,
    the ones known now (a later change of them schedules again)."""
    documents = sorted(set(documents))
    now = timezone.now()
    scheduled = 0
    for moment in sorted(set(moments)):
        if moment > now:
            refresh_site_pages.using(run_after=moment).enqueue(
                f"{reason} {timezone.localtime(moment):%Y-%m-%d %H:%M}", documents)
            scheduled += 1
    return scheduled
