"""The Django side of builds: records and page sets from the database, the queue's work, coalescing.

The generator itself (site_generator.build) knows nothing of Django; this module feeds it: the
records of the documents (``cms.exchange.exporter``) and the service modules' page sets
(``page_sets``), both read here, in the Django process, before the build.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from wagtail.models import Locale

from cms.build.config import from_settings
from cms.build.site_structure import standalone_page_set
from cms.exchange.exporter import (
    document_summaries,
    iter_document_records,
    live_pks,
    organ_counts,
    records_by_pk,
)
from cms.models import PendingChange
from cms.service_modules import PageSet, enabled_modules, resolve_hook, service_pages_enabled
from content_models.models import DisclosureDocument
from site_generator.build import (
    BuildResult,
    NeedsFullBuild,
    build_site,
    default_state_dir,
    work_due,
)
from site_generator.config import BuildConfig

logger = logging.getLogger("site_generator")

# Above this many pending documents (a bulk import) one full build is cheaper than a targeted
# one, and it keeps the id list out of an SQL IN clause.
FULL_BUILD_ABOVE = 5000
# Pending rows are deleted by their pks, this many per statement (below SQLite's variable limit).
DELETE_BATCH = 900


def site_dir() -> Path:
    return Path(settings.GOVSITE_SITE_DIR)


def state_dir_for(out: Path) -> Path:
    """The default site keeps its build state under the data dir; other outputs next to themselves."""
    if out.absolute() == site_dir().absolute():
        return Path(settings.DATA_DIR) / "build"
    return default_state_dir(out)


def _default_locale_documents():
    return DisclosureDocument.objects.filter(locale=Locale.get_default())


class DatabaseRecords:
    """Every live record of the default locale, read in parts (``site_generator.build.PartedRecords``).

    Iterated, it is ``iter_document_records`` (one process reads everything). A full build asks
    instead for narrow facts (the primary keys in parts, the departments' organs, the summaries of
    the documents other pages show) and then has its render processes read their own parts by
    primary key, so the bodies are read, turned into records and rendered on every core, and never
    pass through the main process.
    """

    PART = 200  # documents a render process reads and renders at a time

    def __init__(self, queryset=None):
        self.queryset = queryset if queryset is not None else _default_locale_documents()

    def __iter__(self):
        return iter_document_records(self.queryset, expand=True)

    def parts(self) -> list[list[int]]:
        pks = live_pks(self.queryset)
        return [pks[i:i + self.PART].tolist() for i in range(0, len(pks), self.PART)]

    def organs(self):
        return organ_counts(self.queryset)

    def related_summaries(self):
        return document_summaries(self.queryset, self._related())

    def _related(self):
        """Ids other pages show: what documents interpret or are replaced by, and the interpretations.

        Any locale, live or not (a superset does no harm: ``document_summaries`` reads the live
        ones of the queryset), by two plain queries: one query with both relations OR'ed and the
        locale filter read every row's body pages on SQLite (19.6 s at 200,000 documents; these
        2.3 s). Each query reads only its relation's index: unordered (the model's date ordering
        walked every row to test the relation: 2.7 s each at 200,000 documents with no relation at
        all) and the interpreting documents' ids by primary key."""
        model = self.queryset.model
        pairs = model.objects.filter(interprets__isnull=False).order_by().values_list("pk", "interprets__source_id")
        pks = []
        for pk, interprets in pairs.iterator(chunk_size=10_000):
            pks.append(pk)
            yield interprets
        for i in range(0, len(pks), 500):
            yield from model.objects.filter(pk__in=pks[i:i + 500]).order_by().values_list("source_id", flat=True)
        yield from model.objects.filter(replaced_by__isnull=False).order_by().values_list(
            "replaced_by__source_id", flat=True).iterator(chunk_size=10_000)

    def read_part(self, part: list[int]):
        return records_by_pk(part, expand=True)

    def before_fork(self) -> bool:
        """Close this process's connections, so that forked processes open their own (a forked
        copy of a connection is not usable). Refused (False: the parts are read in this process)
        inside a transaction, which closing would break, and on an in-memory SQLite database,
        which another connection would not see."""
        for conn in connections.all(initialized_only=True):
            if conn.in_atomic_block or (conn.vendor == "sqlite" and conn.is_in_memory_db()):
                return False
        connections.close_all()
        return True


def all_records() -> DatabaseRecords:
    return DatabaseRecords()


def records_for(ids):
    return iter_document_records(_default_locale_documents().filter(source_id__in=list(ids)), expand=True)


def page_sets() -> list[PageSet]:
    """The editors' standalone pages and the enabled service modules' pages, read from their
    tables now (before the build).

    Every build takes them (a build renders only the pages whose version changed). A module whose
    tables cannot be read (not migrated yet) is logged and left out: its pages stay as they are.
    """
    sets: list[PageSet] = standalone_page_set()
    if not service_pages_enabled():
        return sets
    for module in enabled_modules():
        site_pages = resolve_hook(module.site_pages)
        if site_pages is None:
            continue
        try:
            with transaction.atomic():  # a savepoint: a failed read leaves the caller's transaction usable
                sets += [replace(s, pages=list(s.pages)) for s in site_pages()]
        except DatabaseError as exc:
            logger.warning("服务模块 %s 的页面无法读取（%s），本次生成不更新这些页面", module.service_name, exc)
    return sets


def _config(**overrides) -> BuildConfig:
    """Settings-based config; one render process when other threads run in this process.

    Forking a process that has other threads (the in-process worker, a web server) can copy a
    lock held by one of them into the child and deadlock it, so render processes are only
    forked from single-threaded processes (the command line, ``db_worker``).
    """
    if threading.active_count() > 1:
        overrides.setdefault("processes", 1)
    return from_settings(**overrides)


@dataclass
class PendingRows:
    """The pending changes a build has read: exactly these rows are cleared after it.

    Rows are never cleared by a pk range: on PostgreSQL a transaction can take a lower pk and
    commit after the build read the table; a ``pk <= newest`` delete would drop it unbuilt.
    """

    documents: list[int] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    source_ids: set[str] = field(default_factory=set)  # of the documents

    @property
    def all(self) -> list[int]:
        return self.documents + self.pages


def pending_snapshot() -> PendingRows:
    """The pending changes now; a build that reads every record and page set after this covers them."""
    rows = PendingRows()
    values = PendingChange.objects.order_by("pk").values_list("pk", "source_id", "kind")
    for pk, source_id, kind in values.iterator(chunk_size=5000):
        if kind == PendingChange.Kind.PAGES:
            rows.pages.append(pk)
        else:
            rows.documents.append(pk)
            rows.source_ids.add(source_id)
    return rows


def _delete_rows(pks) -> None:
    pks = list(pks)
    for i in range(0, len(pks), DELETE_BATCH):
        PendingChange.objects.filter(pk__in=pks[i:i + DELETE_BATCH]).delete()


def clear_covered(snapshot: PendingRows | None, out: Path) -> None:
    """Drop the pending changes (read in ``snapshot``) that a whole-database build of the live site
    has just covered."""
    if snapshot and out.absolute() == site_dir().absolute():
        _delete_rows(snapshot.all)


def build_from_database(*, out: Path | None = None, full: bool = False, **config) -> BuildResult:
    """Build the site from every live document and page set; pending changes it covered are cleared."""
    out = out or site_dir()
    cfg = _config(**config)
    snapshot = pending_snapshot()
    result = build_site(all_records(), out, full=full, config=cfg, state_dir=state_dir_for(out),
                        page_sets=page_sets())
    clear_covered(snapshot, out)
    return result


def build_changes(ids: set[str], *, out: Path | None = None, cfg: BuildConfig | None = None,
                  seal: bool = True) -> BuildResult:
    """A targeted build of the given documents (maybe none) and of the page sets; a full one when no
    usable build state exists. ``seal`` False: a list page that fills up is sealed by the worker's
    next build, not this one (``build_site``, ADR 0161)."""
    out = out or site_dir()
    cfg = cfg or _config()
    try:
        return build_site(records_for(ids) if ids else [], out, config=cfg, state_dir=state_dir_for(out),
                          changed_ids=ids, fetch=records_for, page_sets=page_sets(), seal=seal)
    except NeedsFullBuild as exc:
        logger.info("全量生成站点：%s", exc)
        return build_site(all_records(), out, full=True, config=cfg, state_dir=state_dir_for(out),
                          page_sets=page_sets())


def run_pending() -> dict:
    """Build every pending change at once (coalescing a burst of publishes into one build).

    Exactly the rows read here are deleted afterwards (``pk__in``, never a pk range). A ``pages``
    row only asks for a build: every build reads the page sets again. With nothing pending, a
    build runs only when a build plugin has work of its own (the search index's delta merge, ADR
    0145) or a list page filled up in an editor's build waits to be sealed (ADR 0161); ``follow_up``
    in the answer says that such a build should run next (the task enqueues it), so that work never
    lengthens an editor's publish.
    """
    pending = pending_snapshot()
    cfg = _config()
    if not pending.all:
        if not work_due(cfg.plugins, state_dir_for(site_dir())):
            return {"documents": 0, "files": 0}
        result = build_changes(set(), cfg=cfg)
        return {"documents": 0, "full": result.full, "files": result.files_written,
                "changed": len(result.changed_paths), "seconds": round(result.seconds, 3), "maintenance": True,
                "follow_up": work_due(cfg.plugins, state_dir_for(site_dir()))}
    ids = pending.source_ids
    if len(ids) > FULL_BUILD_ABOVE:
        result = build_from_database(full=True)
    else:
        result = build_changes(ids, cfg=cfg, seal=False)  # a full list page: sealed by the follow-up (ADR 0161)
    _delete_rows(pending.all)
    return {
        "documents": len(ids), "full": result.full, "files": result.files_written,
        "changed": len(result.changed_paths), "seconds": round(result.seconds, 3),
        "records": result.records_read, "live_seconds": round(result.live_seconds, 3),
        **({"pages": result.pages_rendered} if pending.pages else {}),
        "follow_up": work_due(cfg.plugins, state_dir_for(site_dir())),
    }
