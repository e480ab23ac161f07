"""The Django side of builds: records from the database, the job queue task, coalescing.

The generator itself (site_generator.build) knows nothing of Django; this module feeds it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from cms.build.config import build_plugins, from_settings, renders_own_data
from site_generator.build import BuildResult, NeedsFullBuild, build_site

logger = logging.getLogger("site_generator")

TASK_PATH = "cms.build.tasks.build_site_changes"
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
    return out.parent / f".{out.name}.build"


def _default_locale_documents():
    from wagtail.models import Locale

    from content_models.models import DisclosureDocument

    return DisclosureDocument.objects.filter(locale=Locale.get_default())


def all_records():
    from cms.exchange.exporter import iter_document_records

    return iter_document_records(_default_locale_documents())


def records_for(ids):
    from cms.exchange.exporter import iter_document_records

    return iter_document_records(_default_locale_documents().filter(source_id__in=list(ids)))


def _config(**overrides):
    """Settings-based config; one render process when other threads run in this process.

    Forking a process that has other threads (the in-process worker, a web server) can copy a
    lock held by one of them into the child and deadlock it, so render processes are only
    forked from single-threaded processes (the command line, ``db_worker``).
    """
    import threading

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
    plugins: list[int] = field(default_factory=list)


def pending_snapshot() -> PendingRows:
    """The pending changes now; a build that reads every record after this covers their documents."""
    from cms.models import PendingChange

    rows = PendingRows()
    for pk, kind in PendingChange.objects.order_by("pk").values_list("pk", "kind").iterator(chunk_size=5000):
        (rows.plugins if kind == PendingChange.Kind.PLUGINS else rows.documents).append(pk)
    return rows


def plugins_pending(snapshot: PendingRows | None) -> bool:
    """Whether a plugin refresh (service pages to rewrite) is among the pending changes read."""
    return bool(snapshot and snapshot.plugins)


def refresh_wanted(snapshot: PendingRows | None, out: Path, cfg) -> bool:
    """Run the build plugins although no document changed: a refresh is waiting, the build is the
    live site's, and one of its plugins renders data of its own (else a refresh would only make an
    identical release)."""
    return plugins_pending(snapshot) and out.absolute() == site_dir().absolute() and renders_own_data(cfg.plugins)


def _delete_rows(pks) -> None:
    from cms.models import PendingChange

    pks = list(pks)
    for i in range(0, len(pks), DELETE_BATCH):
        PendingChange.objects.filter(pk__in=pks[i:i + DELETE_BATCH]).delete()


def clear_covered(snapshot: PendingRows | None, out: Path, cfg=None) -> None:
    """Drop the pending changes (read in ``snapshot``) that a whole-database build of the live site
    has just covered. ``plugins`` rows only go when the build ran a plugin that renders them
    (``build_site --no-plugins`` leaves them to the worker)."""
    if not snapshot or out.absolute() != site_dir().absolute():
        return
    plugins = cfg.plugins if cfg is not None else from_settings().plugins
    _delete_rows(snapshot.documents + (snapshot.plugins if renders_own_data(plugins) else []))


def build_from_database(*, out: Path | None = None, full: bool = False, **config) -> BuildResult:
    """Build the site from every live document; pending changes it has covered are cleared."""
    out = out or site_dir()
    cfg = _config(**config)
    snapshot = pending_snapshot()
    result = build_site(all_records(), out, full=full, config=cfg, state_dir=state_dir_for(out),
                        refresh_plugins=refresh_wanted(snapshot, out, cfg))
    clear_covered(snapshot, out, cfg)
    return result


def build_changes(ids: set[str], *, out: Path | None = None, refresh_plugins: bool = False,
                  cfg=None) -> BuildResult:
    """A targeted build of the given documents; a full one when no usable build state exists.

    With ``refresh_plugins`` the build plugins run (and a new release goes live) even when none
    of the documents changed: the service pages read their own data (answered letters).
    """
    out = out or site_dir()
    cfg = cfg or _config()
    try:
        return build_site(records_for(ids) if ids else [], out, config=cfg, state_dir=state_dir_for(out),
                          changed_ids=ids, fetch=records_for, refresh_plugins=refresh_plugins)
    except NeedsFullBuild as exc:
        logger.info("全量生成站点：%s", exc)
        return build_site(all_records(), out, full=True, config=cfg, state_dir=state_dir_for(out))


def run_pending() -> dict:
    """Build every pending change at once (coalescing a burst of publishes into one build).

    Exactly the rows read here are deleted afterwards (``pk__in``, never a pk range). ``plugins``
    rows are kept when no configured plugin renders data of its own: nothing would rewrite it.
    """
    from cms.models import PendingChange

    pending = list(PendingChange.objects.order_by("pk").values_list("pk", "source_id", "kind"))
    if not pending:
        return {"documents": 0, "files": 0}
    cfg = _config()
    ids = {sid for _pk, sid, kind in pending if kind != PendingChange.Kind.PLUGINS}
    done = [pk for pk, _sid, kind in pending if kind != PendingChange.Kind.PLUGINS]
    plugin_pks = [pk for pk, _sid, kind in pending if kind == PendingChange.Kind.PLUGINS]
    refresh = bool(plugin_pks) and renders_own_data(cfg.plugins)
    if refresh:
        done += plugin_pks
    if len(ids) > FULL_BUILD_ABOVE:
        result = build_from_database(full=True)
    else:
        result = build_changes(ids, refresh_plugins=refresh, cfg=cfg)
    _delete_rows(done)
    return {
        "documents": len(ids), "full": result.full, "files": result.files_written,
        "changed": len(result.changed_paths), "seconds": round(result.seconds, 3),
        **({"plugins": True} if refresh else {}),
    }


def request_plugin_refresh(reason: str) -> bool:
    """Ask for a build that runs the build plugins although no document changed; False if useless.

    For data the plugins render themselves (a citizen letter answered or withdrawn, ratings and
    letter statistics): records a ``plugins`` pending change in the caller's transaction and
    enqueues the build task once it commits, so a rolled-back save asks for nothing. Several
    requests coalesce into one build. Nothing is recorded when no plugin of
    ``GOVSITE_BUILD_PLUGINS`` renders data of its own (``services.plugin``): such a build would
    only make an identical release.
    """
    from django.db import transaction

    from cms.models import PendingChange

    if not renders_own_data(build_plugins(getattr(settings, "GOVSITE_BUILD_PLUGINS", ()))):
        return False
    PendingChange.objects.create(source_id=reason[:128], kind=PendingChange.Kind.PLUGINS)
    transaction.on_commit(enqueue_build)
    return True


def enqueue_build() -> None:
    """Enqueue the build task unless one is already waiting (it will take all pending changes)."""
    from django_tasks_db.models import DBTaskResult

    from cms.build.tasks import build_site_changes

    waiting = DBTaskResult.objects.ready().filter(task_path=TASK_PATH, backend_name="builds").exists()
    if not waiting:
        build_site_changes.enqueue()
