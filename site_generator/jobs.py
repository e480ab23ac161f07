"""The Django side of builds: records from the database, the job queue task, coalescing.

The generator itself (site_generator.build) knows nothing of Django; this module feeds it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from site_generator.build import BuildResult, NeedsFullBuild, build_site
from site_generator.config import from_settings

logger = logging.getLogger("site_generator")

TASK_PATH = "site_generator.tasks.build_site_changes"
# Above this many pending documents (a bulk import) one full build is cheaper than a targeted
# one, and it keeps the id list out of an SQL IN clause.
FULL_BUILD_ABOVE = 5000


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
    from content_models.exchange import iter_document_records

    return iter_document_records(_default_locale_documents())


def records_for(ids):
    from content_models.exchange import iter_document_records

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


def pending_snapshot() -> int | None:
    """The newest pending change; a build that reads every record after this covers it."""
    from site_generator.models import PendingChange

    return PendingChange.objects.order_by("-pk").values_list("pk", flat=True).first()


def plugins_pending(snapshot: int | None) -> bool:
    """Whether a plugin refresh (service pages to rewrite) is among the pending changes up to ``snapshot``."""
    from site_generator.models import PendingChange

    if snapshot is None:
        return False
    return PendingChange.objects.filter(kind=PendingChange.Kind.PLUGINS, pk__lte=snapshot).exists()


def clear_covered(snapshot: int | None, out: Path) -> None:
    """Drop pending changes that a whole-database build of the live site has just covered."""
    from site_generator.models import PendingChange

    if snapshot is not None and out.absolute() == site_dir().absolute():
        PendingChange.objects.filter(pk__lte=snapshot).delete()


def build_from_database(*, out: Path | None = None, full: bool = False, **config) -> BuildResult:
    """Build the site from every live document; pending changes it has covered are cleared."""
    out = out or site_dir()
    cfg = _config(**config)
    snapshot = pending_snapshot()
    refresh = out.absolute() == site_dir().absolute() and plugins_pending(snapshot)
    result = build_site(all_records(), out, full=full, config=cfg, state_dir=state_dir_for(out),
                        refresh_plugins=refresh)
    clear_covered(snapshot, out)
    return result


def build_changes(ids: set[str], *, out: Path | None = None, refresh_plugins: bool = False) -> BuildResult:
    """A targeted build of the given documents; a full one when no usable build state exists.

    With ``refresh_plugins`` the build plugins run (and a new release goes live) even when none
    of the documents changed: the service pages read their own data (answered letters).
    """
    out = out or site_dir()
    cfg = _config()
    try:
        return build_site(records_for(ids) if ids else [], out, config=cfg, state_dir=state_dir_for(out),
                          changed_ids=ids, fetch=records_for, refresh_plugins=refresh_plugins)
    except NeedsFullBuild as exc:
        logger.info("全量生成站点：%s", exc)
        return build_site(all_records(), out, full=True, config=cfg, state_dir=state_dir_for(out))


def run_pending() -> dict:
    """Build every pending change at once (coalescing a burst of publishes into one build)."""
    from site_generator.models import PendingChange

    pending = list(PendingChange.objects.order_by("pk").values_list("pk", "source_id", "kind"))
    if not pending:
        return {"documents": 0, "files": 0}
    last_pk = pending[-1][0]
    ids = {sid for _pk, sid, kind in pending if kind == PendingChange.Kind.DOCUMENT}
    refresh = any(kind == PendingChange.Kind.PLUGINS for _pk, _sid, kind in pending)
    if len(ids) > FULL_BUILD_ABOVE:
        result = build_from_database(full=True)
    else:
        result = build_changes(ids, refresh_plugins=refresh)
    PendingChange.objects.filter(pk__lte=last_pk).delete()
    return {
        "documents": len(ids), "full": result.full, "files": result.files_written,
        "changed": len(result.changed_paths), "seconds": round(result.seconds, 3),
        **({"plugins": True} if refresh else {}),
    }


def request_plugin_refresh(reason: str) -> None:
    """Ask for a build that runs the build plugins although no document changed.

    For data the plugins render themselves (a citizen letter answered or withdrawn): records a
    ``plugins`` pending change in the caller's transaction and enqueues the build task once it
    commits, so a rolled-back save asks for nothing. Several requests coalesce into one build.
    """
    from django.db import transaction

    from site_generator.models import PendingChange

    PendingChange.objects.create(source_id=reason[:128], kind=PendingChange.Kind.PLUGINS)
    transaction.on_commit(enqueue_build)


def enqueue_build() -> None:
    """Enqueue the build task unless one is already waiting (it will take all pending changes)."""
    from django_tasks_db.models import DBTaskResult

    from site_generator.tasks import build_site_changes

    waiting = DBTaskResult.objects.ready().filter(task_path=TASK_PATH, backend_name="builds").exists()
    if not waiting:
        build_site_changes.enqueue()
