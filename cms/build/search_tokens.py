"""Search tokens cached at import (ADR 0147): the build that follows a bulk import never tokenizes.

Tokenizing the documents is most of the search index's cost (about 60 CPU-seconds at 200,000
documents). The import already reads and writes every document, batch by batch; after each
committed batch this tokenizes its documents into the index state (``search_index.build
.cache_tokens``), as the build would read them from the database. The build then finds each one
under its content hash, so a full build after an import only assembles the index. Nothing here is
needed for correctness: whatever was not cached (a build held the lock, the state is from another
tokenizer version, a document changed since) is tokenized by the build itself.
"""

from __future__ import annotations

import logging

from django.conf import settings

from cms.build import jobs
from cms.build.config import build_plugins
from search_index.plugin import SearchIndexPlugin, cache_document_tokens
from site_generator.output import BuildLocked, build_lock

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
    try:
        with build_lock(state_dir, wait=False):
            return cache_document_tokens(jobs.records_for(source_ids), state_dir / "plugins")
    except BuildLocked:
        logger.info("search tokens not cached for %d imported documents: a build is running", len(source_ids))
        return 0
