"""Search tokens cached at import (ADR 0147): the build that follows a bulk import never tokenizes.

Tokenizing the documents is most of the search index's cost (about 60 CPU-seconds at 200,000
documents). The import already reads and writes every document, batch by batch; after each
committed batch this tokenizes its documents into the index state (``search_index.build
.cache_tokens``), as the build would read them from the database. The build then finds each one
under its content hash, so a full build after an import only assembles the index. Nothing here is
needed for correctness: whatever was not cached (a build held the lock, the state is from another
tokenizer version, a document changed since) is tokenized by the build itself.

A large import (``background``, ADR 0106) hands the tokenizing to one worker process: the
importer's own process reads each committed batch's records (the database stays in the process
that owns the connection) and goes on writing the next batch while the worker tokenizes this one
into the state, under the build lock as before. The import waits for the worker before it returns,
so what is cached when it returns is the same as with the tokenizing inline.
"""

from __future__ import annotations

import collections
import contextvars
import logging
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from cms.build import jobs
from cms.build.config import build_plugins
from search_index.plugin import SearchIndexPlugin, cache_document_tokens
from site_generator.output import BuildLocked, build_lock
from site_generator.processes import fork_executor

logger = logging.getLogger(__name__)


def search_index_enabled() -> bool:
    return any(isinstance(p, SearchIndexPlugin) for p in build_plugins(getattr(settings, "GOVSITE_BUILD_PLUGINS", [])))


def cache_imported(source_ids: list[str]) -> int:
    """Tokenize the live documents among ``source_ids`` into the default site's index state; the
    number tokenized. Skipped (0) while a build holds the site's lock: that build or the next one
    tokenizes them, and the cache must not change under a running build."""
    if not source_ids or not search_index_enabled():
        return 0
    state_dir = jobs.state_dir_for(jobs.site_dir())
    worker = _background.get()
    if worker is not None and worker.pool is not None:
        worker.submit(list(jobs.records_for(source_ids)), state_dir)
        return 0
    return _cache_locked(jobs.records_for(source_ids), state_dir)


def _cache_locked(records, state_dir: Path, processes: int | None = None) -> int:
    try:
        with build_lock(state_dir, wait=False):
            return cache_document_tokens(records, state_dir / "plugins", processes=processes)
    except BuildLocked:
        logger.info("search tokens not cached for imported documents: a build is running")
        return 0


def _cache_in_worker(records: list[dict], state_dir: str) -> int:
    """``cache_imported``'s tokenizing, in the background worker (one process: it forks none)."""
    return _cache_locked(records, Path(state_dir), processes=1)


class BackgroundTokens:
    """One worker process that tokenizes committed import batches while the importer writes the
    next ones (``background``). Batches are tokenized in commit order; at most ``PENDING`` wait
    for the worker (their records are held in memory), the importer waits when more would."""

    PENDING = 2
    LINES = 400  # an import of this many lines uses the worker (smaller ones tokenize inline)

    def __init__(self) -> None:
        self.pool: Executor | None = None
        self.pending: collections.deque[Future] = collections.deque()
        self.tokenized = 0

    def start(self) -> None:
        """Fork the worker (before the importer's file workers, so no thread of theirs is copied)."""
        if self.pool is None and search_index_enabled():
            self.pool = fork_executor(1)
            self.pool.submit(int).result()  # the executor forks on its first task: now

    def submit(self, records: list[dict], state_dir: Path) -> None:
        while len(self.pending) >= self.PENDING:
            self._wait()
        try:
            self.pending.append(self.pool.submit(_cache_in_worker, records, str(state_dir)))
        except BrokenProcessPool:  # the worker died earlier (logged then): the build tokenizes these
            pass

    def _wait(self) -> None:
        try:
            self.tokenized += self.pending.popleft().result()
        except Exception:  # the cache is only a cache: the build tokenizes what is missing
            logger.exception("could not cache the search tokens of an imported batch")

    def finish(self) -> None:
        """Wait for every batch handed over, then end the worker."""
        while self.pending:
            self._wait()
        self._shut()

    def abandon(self) -> None:
        """The import failed or was interrupted: drop the batches not started, wait only for the one
        being tokenized (a dead worker is not waited for), end the worker."""
        for future in self.pending:
            future.cancel()
        self.pending.clear()
        self._shut()

    def _shut(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


_background: contextvars.ContextVar[BackgroundTokens | None] = contextvars.ContextVar("govsite_background_tokens",
                                                                                     default=None)


@contextmanager
def background() -> Iterator[BackgroundTokens]:
    """Within: once ``start()`` is called, ``cache_imported`` tokenizes in a worker process; on
    leaving, every batch handed over is cached (or logged as failed) and the worker has ended."""
    worker = BackgroundTokens()
    token = _background.set(worker)
    try:
        yield worker
    except BaseException:
        _background.reset(token)
        worker.abandon()
        raise
    _background.reset(token)
    worker.finish()
