"""Build plugin: writes the static search index into each new build (``on_render``).

The index is built from the document records the build was given, never from the HTML it wrote.
On an incremental build ``ctx.records`` holds only the added/changed documents and
``ctx.removed_ids`` the withdrawn ones; the cached tokens of all other documents live in
``ctx.state_dir / "search_index"``. Contributed pages' search records (``ctx.page_records``, e.g. a
service guide; ``ctx.page_removed_ids``) are indexed with the documents.

An editor's change always goes to the delta (``delta.py``); when the delta has outgrown its
bounds, ``wants_build`` says so and the build worker runs a build of its own next, in which this
plugin merges the delta (ADR 0145): the merge never lengthens an editor's publish.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from site_generator.docinfo import public_record
from site_generator.plugins import BasePlugin, BuildContext, NeedsFullBuild

from .build import StaleState, build_index, cache_tokens
from .delta import merge_due

log = logging.getLogger(__name__)


class _Chain:
    """The documents then the pages' records, re-iterable like ``ctx.records`` (never materialized)."""

    def __init__(self, *parts: Iterable[dict]):
        self.parts = parts

    def __iter__(self) -> Iterator[dict]:
        for part in self.parts:
            yield from part


def index_state_dir(plugins_state_dir: Path) -> Path:
    """Where the plugin keeps its state (cached tokens) under a build's ``ctx.state_dir``."""
    return Path(plugins_state_dir) / "search_index"


def cache_document_tokens(records: Iterable[dict], plugins_state_dir: Path, *, processes: int | None = None) -> int:
    """Tokens of documents cached ahead of the build that will index them (the import's batches):
    records as the database gives them, made public the way the build makes them, so that their
    content hashes are the ones the build computes. Returns how many were tokenized; 0 when the
    state belongs to another tokenizer version (the next full build tokenizes everything).
    ``processes``: as ``build_index`` (1 in a worker process, which may not fork its own)."""
    try:
        return cache_tokens((public_record(r) for r in records), index_state_dir(plugins_state_dir),
                            processes=processes)
    except StaleState:
        return 0


class SearchIndexPlugin(BasePlugin):
    name = "search_index"
    beside_lists = True  # reads records, writes only search/ (ADR 0163)

    def wants_build(self, state_dir) -> bool:
        """The delta has outgrown its bounds: a build with no change merges it (ADR 0145)."""
        return merge_due(index_state_dir(state_dir))

    def on_render(self, ctx: BuildContext) -> None:
        out_dir = ctx.out_dir
        full = bool(ctx.full)
        # A full build's records are re-iterable and may be 200k: never materialized. An incremental
        # build's are the few changed documents.
        # Contributed pages with a search record (a service guide) are indexed like documents.
        pages = list(ctx.page_records)
        records = _Chain(ctx.records, pages) if full else [*(ctx.records or ()), *pages]
        removed = set(ctx.removed_ids or ()) | set(ctx.page_removed_ids)
        merge = None if full else False  # an editor's change goes to the delta, never merged inline
        if not full and not records and not removed:
            if not merge_due(index_state_dir(ctx.state_dir)):
                # A build that only refreshes other plugins' pages (an answered letter): the index is unchanged.
                log.info("search index: no document changed, index left as it is")
                return
            merge = True  # the build worker's own build after the delta outgrew its bounds (ADR 0145)

        def write(rel: str, data: bytes) -> None:
            # Content-hashed files that the cloned previous build already has are left alone, so the
            # build's list of changed paths (what publish uploads) holds only what really changed. A
            # full build writes a fresh release: no file is there to ask about (100,000 at 200k).
            if not full and rel.endswith(".bin") and os.path.exists(out_dir / rel):
                return
            ctx.write_file(rel, data)

        try:
            stats = build_index(
                records,
                out_dir,
                index_state_dir(ctx.state_dir),
                removed_ids=removed,
                full=full,
                write_file=write,
                delete_file=ctx.delete_file,
                merge=merge,
            )
        except StaleState as exc:  # e.g. after an upgrade that changed the tokenizer: rebuild everything
            raise NeedsFullBuild(str(exc)) from exc
        log.info(
            "search index: %s documents, %s tokenized, %s files written",
            stats.documents,
            stats.tokenized,
            stats.files,
        )
        ctx.progress(f"搜索索引：{stats.documents} 篇文件，重新分词 {stats.tokenized} 篇，写入 {stats.files} 个文件")
