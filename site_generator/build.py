"""The site build: full builds and incremental builds over plain document records.

    build_site(records, out_dir, full=False, config=BuildConfig(...))

* ``full=True``: every output is rendered into a fresh release.
* ``changed_ids={...}``: a targeted incremental build (the job queue after a publish).
  ``records`` are the live records among those ids; the others were withdrawn or deleted;
  ``fetch(ids)`` returns live records of other documents whose pages show a changed one.
* neither: ``records`` are all live records; the build compares them with the build state
  and re-renders what differs (falls back to a full build when the theme or settings changed).
* ``records`` may be a ``PartedRecords`` (the database's, ``cms.build.jobs.DatabaseRecords``): a
  full build then reads the summaries first and has its render processes read the records, part
  by part, themselves.
* ``page_sets=[...]``: contributed pages (``site_generator.pages``, e.g. the service modules'),
  rendered with the theme; an incremental build renders only the pages whose version changed. A
  change in a page set alone (a citizen letter answered, no document changed) makes a release and
  runs the plugins with an empty document change set. A build with nothing to do makes no release
  and runs no plugin.

No Django import here: the render loop runs over dicts (also in forked worker processes).
See docs/site-generator.md for the output layout and the pagination scheme.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import orjson
from markupsafe import Markup

from site_generator import docinfo
from site_generator.column_changes import ColumnChanges, column_changes
from site_generator.config import BuildConfig
from site_generator.output import Releases, Writer, build_lock
from site_generator.pages import PageFeed, PagePlan, PageSet, PageSetError, PageSpec, materialize, plan
from site_generator.plugins import BuildContext, BuildPlugin, NeedsFullBuild, beside_lists, run_event
from site_generator.processes import fork_pool
from site_generator.render import Renderer, category_order, record_hash
from site_generator.spool import Spool, SpoolRecords
from site_generator.state import DOC_COLUMNS, State

logger = logging.getLogger("site_generator")

LIST_CHUNK_PAGES = 250
DOC_CHUNK = 200
PAGE_CHUNK = 100  # contributed pages per render task of a full build (a guide renders in about 1 ms)


class BuildError(RuntimeError):
    """A build that failed; the previous site stays live. The message is shown to users."""


@dataclass
class BuildResult:
    full: bool
    documents: int = 0
    rendered_documents: int = 0
    files_written: int = 0
    bytes_written: int = 0
    files_deleted: int = 0
    changed_paths: list[str] = field(default_factory=list)
    seconds: float = 0.0
    release: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    plugin_errors: list[str] = field(default_factory=list)
    live_seconds: float = 0.0  # until the new release was live (later: plugins' on_live, housekeeping)
    pages_rendered: int = 0  # contributed pages rendered (site_generator.pages): new or changed ones
    records_read: int = 0  # records the build took from ``records`` and ``fetch`` (an incremental
    # build from the queue: the changed documents and the few whose pages show them)


class _ReadCounter:
    """Counts the records a build reads, so tests and benchmarks can see that a targeted build
    reads the changed documents, not the site."""

    def __init__(self):
        self.n = 0

    def records(self, records: Iterable[dict]) -> Iterable[dict]:
        for rec in records:
            self.n += 1
            yield rec

    def fetch(self, fetch):
        if fetch is None:
            return None
        return lambda ids: self.records(fetch(ids))


@runtime_checkable
class PartedRecords(Protocol):
    """Records a full build reads in parts, in its render processes (``build_site``'s ``records``).

    Iterated, all records (any other build). A full build asks instead, before it renders, for
    ``parts()``: picklable, sized parts of all records (``len(part)`` records each), in their order;
    ``organs()``: ``(site, organ, records)`` over all records, the organ as the records give it (a
    department the configuration does not name is named by its most frequent organ); and
    ``related_summaries()``: the summaries (at least ``id``, ``site``, ``title``, ``published``,
    ``interprets``, as the records have them) of those records whose title and URL other pages show
    (those a record interprets or is replaced by, and the interpretations themselves). Then
    ``read_part(part)`` gives the records of one part, called in a render process;
    ``before_fork()``: whether forked processes may read (else the parts are read in this process).
    """

    def __iter__(self) -> Iterator[dict]: ...

    def parts(self) -> list: ...

    def organs(self) -> Iterable[tuple[str, str, int]]: ...

    def related_summaries(self) -> Iterable[dict]: ...

    def read_part(self, part) -> Iterable[dict]: ...

    def before_fork(self) -> bool: ...


def default_state_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.build"


def build_site(
    records: Iterable[dict],
    out_dir: str | os.PathLike,
    *,
    full: bool = False,
    config: BuildConfig | None = None,
    state_dir: str | os.PathLike | None = None,
    changed_ids: Iterable[str] | None = None,
    fetch: Callable[[set[str]], Iterable[dict]] | None = None,
    page_sets: Iterable[PageSet] | None = None,
    seal: bool = True,
) -> BuildResult:
    """Build the site into ``out_dir`` (a symlink to the live release).

    ``seal`` False (an editor's build from the queue): a list whose newest page fills up is not cut
    into a new archived page now; its index page shows the whole open tail until a build with
    ``seal`` (the build worker's own, ``work_due``) seals it (ADR 0161)."""
    cfg = config or BuildConfig()
    out = Path(out_dir).absolute()
    sdir = Path(state_dir).absolute() if state_dir else default_state_dir(out)
    if (sdir / "releases") in out.parents or out == sdir or out.parent == sdir / "releases":
        raise BuildError(f"输出目录 {out} 位于生成状态目录 {sdir} 之内：请指定站点目录本身（符号链接）")
    try:
        sets = materialize(page_sets)
    except PageSetError as exc:
        raise BuildError(str(exc)) from None
    counter = _ReadCounter()
    parted = records if full and isinstance(records, PartedRecords) else None
    with build_lock(sdir):
        result = _Build(cfg, out, sdir, sets, seal=seal).run(counter.records(records), full=full,
                                                             changed_ids=changed_ids, fetch=counter.fetch(fetch),
                                                             parted=parted)
    result.records_read = counter.n + (result.documents if parted is not None else 0)
    return result


# ---------------------------------------------------------------------------------------------
# Worker-process globals: set before fork, read by the pool functions (fork shares them).
_G: dict = {}


def _progress(cfg: BuildConfig, message: str) -> None:
    if callable(cfg.progress):
        cfg.progress(message)


def _checked_plugins(plugins) -> list[BuildPlugin]:
    """The plugin objects of a config; anything else (e.g. a module name) is the caller's mistake."""
    for plugin in plugins:
        if not isinstance(plugin, BuildPlugin):
            raise TypeError(f"BuildConfig.plugins 只能包含构建插件对象（见 site_generator.plugins），而不是 {plugin!r}")
    return list(plugins)


class _Build:
    def __init__(self, cfg: BuildConfig, out: Path, state_dir: Path, page_sets: list[tuple[PageSet, list[PageSpec]]],
                 *, seal: bool = True):
        self.cfg = cfg
        self.seal = seal
        self.out = out
        self.state_dir = state_dir
        self.releases = Releases(out, state_dir)
        self.db_path = state_dir / "state.sqlite3"
        self.plugins = _checked_plugins(cfg.plugins)
        self.t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.page_sets = page_sets
        self.parts: list = []  # a PartedRecords' parts, from ``_summaries`` to the render processes
        self.total = 0

    def _lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self.t0 - sum(self.timings.values()), 3)

    # -----------------------------------------------------------------------------------------
    def run(self, records, *, full: bool, changed_ids, fetch, parted: PartedRecords | None = None) -> BuildResult:
        if changed_ids is not None and not full:
            return self._targeted(records, set(changed_ids), fetch)
        spool = Spool(self.state_dir / "tmp")
        try:
            if parted is not None:
                departments = self._summaries(parted)
                self._lap("read")
                return self._full(spool, departments, parted)
            departments = self._spool(records, spool)
            self._lap("read")
            if not full:
                try:
                    return self._diff(spool, departments)
                except NeedsFullBuild as exc:
                    logger.info("全量生成：%s", exc)
            return self._full(spool, departments)
        finally:
            spool.close()

    # -- input ------------------------------------------------------------------------------
    def _spool(self, records, spool: Spool) -> list[tuple[str, str]]:
        """Stream records into the spool; apply change records (op) of a JSONL export.

        Each record is parsed once here: the small facts other pages need (title, URL, date,
        relations, organ, content hash) are kept in ``self.index`` so no later pass re-reads it.
        """
        index: dict[str, tuple] = {}
        for rec in records:
            op = rec.get("op")
            if op == "withdraw":
                doc_id = str(rec.get("id"))
                spool.discard(doc_id)
                index.pop(doc_id, None)
                continue
            if op == "update":
                doc_id = str(rec.get("id"))
                if doc_id not in spool:
                    continue  # an update to an unknown or withdrawn id changes nothing on the site
                merged = spool.get(doc_id)
                merged.update({k: v for k, v in rec.items() if k not in ("op", "id")})
                rec = merged
            elif op is not None:
                rec = {k: v for k, v in rec.items() if k != "op"}
            b = docinfo.basics(rec)  # validates, with a message naming the document
            spool.put(rec)
            index[b["id"]] = (b["title"], b["url"], b["date"], b["ts"], b["interprets"], b["site"],
                              rec.get("organ") or rec["site"], record_hash(rec))
        spool.flush()
        self.index = index
        return self._departments()

    def _summaries(self, parted: PartedRecords) -> list[tuple[str, str]]:
        """``_spool`` for a ``PartedRecords``: the index of the documents other pages show, the parts
        and the departments; the records themselves are read (and checked, ``docinfo.basics``) by
        the render processes (``_render_doc_part``). A summary of every document here took 10 CPU-s
        at 200,000 documents, with the other cores idle."""
        index: dict[str, tuple] = {}
        for rec in parted.related_summaries():
            b = docinfo.basics(rec)  # validates, with a message naming the document
            index[b["id"]] = (b["title"], b["url"], b["date"], b["ts"], b["interprets"], b["site"], None, None)
        self.index = index
        self.parts = parted.parts()
        self.total = sum(len(part) for part in self.parts)
        organs: dict[str, Counter] = {}
        for site, organ, n in parted.organs():
            organs.setdefault(docinfo.site_slug(str(site)), Counter())[organ or site] += n
        return self._departments(organs)

    def _departments(self, organs: dict[str, Counter] | None = None) -> list[tuple[str, str]]:
        if organs is None:
            organs = {}
            for entry in self.index.values():
                organs.setdefault(entry[5], Counter())[entry[6]] += 1
        known = [(docinfo.site_slug(s), n) for s, n in self.cfg.departments]
        seen = {s for s, _ in known}
        for site in sorted(organs):
            if site not in seen:
                counts = organs[site]
                best = max(counts.values())
                known.append((site, min(o for o, c in counts.items() if c == best)))
        return known

    # -- full -------------------------------------------------------------------------------
    def _full(self, spool: Spool, departments, parted: PartedRecords | None = None) -> BuildResult:
        cfg = self.cfg
        _G.clear()  # a failed full build in this process may have left its writer behind
        renderer = Renderer(cfg, departments)
        live = self.releases.live()
        target = self.releases.other(live)
        self.releases.clear(target)
        self.releases.dirty_marker(target).touch()
        root = self.releases.path(target)
        mirror = self.releases.start_mirror()  # becomes the other release once this one is live
        new_db = self.state_dir / "state.sqlite3.new"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{new_db}{suffix}").unlink(missing_ok=True)
        st = State(new_db, fresh=True)
        st.begin()
        result = BuildResult(full=True, release=target)

        # Index pass: what other pages need to know about each document.
        links: dict[str, tuple] = {}
        interps: dict[str, list[tuple[int, str]]] = {}
        for doc_id, entry in self.index.items():
            links[doc_id] = entry[:3]
            if entry[4]:
                interps.setdefault(entry[4], []).append((entry[3], doc_id))
        self.index = {}
        for v in interps.values():
            v.sort()
        self._lap("index")
        _G.update(renderer=renderer, spool=spool, links=links, interps=interps, root=root, db=new_db, mirror=mirror)

        # Document pages (the bulk of the work), in worker processes. From a PartedRecords each
        # worker reads its own parts and spools the public records itself (the plugins read them).
        total, procs = (len(links) if parted is None else self.total), None
        if parted is None:
            ids = spool.ids()
            fn, tasks = _render_doc_chunk, [ids[i:i + DOC_CHUNK] for i in range(0, len(ids), DOC_CHUNK)]
        else:
            fn, tasks, self.parts = _render_doc_part, self.parts, []
            _G.update(parted=parted, spool_dir=spool.path.parent)
            if not parted.before_fork():
                procs = 1
        done = 0
        for rows, files, nbytes, cleaned, segment in self._map(fn, tasks, procs):
            st.put_docs(rows)
            st.put_files(rows, replace=False)
            if segment is not None:
                spool.adopt(*segment)
            for public in cleaned:  # the workers cleaned bodies in parallel; plugins read the spool
                spool.put(public)
            result.files_written += files
            result.bytes_written += nbytes
            done += len(rows)
            if done % 20000 < len(rows):
                _progress(cfg, f"已生成 {done}/{total} 个文件页面")
        segment = _G.pop("segment", None)
        if segment is not None:  # parts read in this process
            segment[2].close()
        result.documents = result.rendered_documents = done
        # Only document pages need the other documents' titles: the processes forked from here on
        # (lists, the search index's) must not carry them.
        for name in ("links", "interps", "parted", "spool"):
            _G.pop(name, None)
        del links, interps, tasks
        st.recount_all()
        st.seal_all(cfg.page_size)
        st.finish_fresh()
        self._lap("documents")

        # List pages and feeds, from the state DB (committed above), also in worker processes; they
        # render while this process writes the sitemaps, the home page and the contributed pages and
        # runs the plugins (the search index), whose serial parts left a core idle when they followed
        # the lists. Each writes its own paths; the lists' results are collected afterwards.
        counts = st.counts()
        keys = sorted(set(counts) | _always_lists(departments))
        tasks = []
        for key in keys:
            last = counts.get(key, 0) // cfg.page_size  # st.seal_all's pages
            for start in range(1, last + 1, LIST_CHUNK_PAGES):
                tasks.append((key, start, min(last, start + LIST_CHUNK_PAGES - 1), False))
            tasks.append((key, 0, -1, True))
        beside = all(beside_lists(plugin) for plugin in self.plugins)
        with self._map_beside(_render_list_task, tasks, beside=beside) as lists:
            writer = Writer(root, fresh=True, mirror=mirror)
            _Singletons(renderer, st, writer, cfg).all_sitemaps(departments)
            _Singletons(renderer, st, writer, cfg).write_site_pages(full=True)
            self._lap("sitemaps+home")
            pages = self._plan_pages(self._previous_page_versions, full=True)
            result.pages_rendered = _write_pages(renderer, writer, pages, st,
                                                 render=lambda specs: self._render_pages(specs, result))
            st.update_pages(pages.upsert, ())
            self._lap("pages")

            # a plugin that may read the release, or write over a list's path, runs after the lists
            written = [] if beside else list(lists)
            ctx = self._context(writer, renderer, True, SpoolRecords(spool), set(), pages)
            run_event(self.plugins, "on_render", ctx)
            result.files_written += writer.files
            result.bytes_written += writer.bytes
            self._lap("plugins")
            for files, nbytes in itertools.chain(written, lists):
                result.files_written += files
                result.bytes_written += nbytes
        ro = _G.pop("ro_state", None)
        if ro is not None:  # lists rendered in this process: release the read connection
            ro.close()
        self._lap("lists")

        st.set_meta("fingerprint", renderer.fingerprint())
        st.set_meta("columns", renderer.columns_json())
        st.set_meta("departments", orjson.dumps(departments).decode())
        st.set_meta("live", target)
        st.set_meta("synced", "0")
        st.set_pending([])
        st.commit()
        st.close()
        _G.clear()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        os.replace(new_db, self.db_path)
        self.releases.switch(target)
        self.releases.dirty_marker(target).unlink(missing_ok=True)
        self._lap("switch")
        result.live_seconds = time.perf_counter() - self.t0

        old_root = self.releases.path(live) if live else None
        ctx._changed = lambda: _tree_diff(root, old_root)
        result.plugin_errors = run_event(self.plugins, "on_live", ctx, strict=False)
        result.changed_paths = ctx.changed_paths if self.plugins else []
        # The other release becomes a copy of the live one (the mirror), so the next build only syncs
        # what it changes.
        self.releases.adopt_mirror(self.releases.other(target))
        st = State(self.db_path)
        st.set_meta("synced", "1")
        st.close()
        self._lap("clone")
        result.seconds = time.perf_counter() - self.t0
        result.timings = self.timings
        return result

    def _map(self, fn, tasks, procs: int | None = None):
        procs = max(1, self.cfg.processes if procs is None else procs)
        if procs == 1 or len(tasks) < 4:
            for t in tasks:
                yield fn(t)
            return
        with fork_pool(procs) as pool:
            yield from pool.imap_unordered(fn, tasks, chunksize=1)

    def _render_pages(self, specs: list[PageSpec], result: BuildResult) -> None:
        """Contributed pages of a full build in worker processes, as the documents: thousands of
        service guides would otherwise render one after another in this process."""
        _G["page_specs"] = specs
        try:
            tasks = [(i, i + PAGE_CHUNK) for i in range(0, len(specs), PAGE_CHUNK)]
            for files, nbytes in self._map(_render_page_task, tasks):
                result.files_written += files
                result.bytes_written += nbytes
        finally:
            _G.pop("page_specs", None)

    @contextmanager
    def _map_beside(self, fn, tasks, *, beside: bool):
        """``_map`` started now in worker processes, while the caller does other work; the results
        are read when the caller iterates. With one process the tasks run when iterated. Beside
        plugins (``beside``), one worker: the plugins' own pools (the search index's) take the other
        cores, and a second list worker took the summed memory over 1 GB at 200,000 documents."""
        procs = max(1, self.cfg.processes)
        if procs == 1 or len(tasks) < 4:
            yield map(fn, tasks)
            return
        if self.plugins and beside:
            procs = 1
        with fork_pool(procs) as pool:
            yield pool.imap_unordered(fn, tasks, chunksize=1)

    def _plan_pages(self, stored: Callable[[str], dict[str, str]], *, full: bool) -> PagePlan:
        try:
            return plan(self.page_sets, stored, full=full)
        except PageSetError as exc:
            raise BuildError(str(exc)) from None

    def _previous_page_versions(self, page_set: str) -> dict[str, str]:
        """A full build starts a new state; the pages a set held come from the one it replaces."""
        if not self.db_path.exists():
            return {}
        try:
            old = State(self.db_path, readonly=True)
        except sqlite3.Error:
            return {}
        try:
            return old.page_versions(page_set)
        except sqlite3.Error:  # a state written before page sets existed
            return {}
        finally:
            old.close()

    def _context(self, writer, renderer, full, records, removed, pages: PagePlan) -> BuildContext:
        page_records, page_removed = pages.search_changes()
        return BuildContext(
            out_dir=writer.root, full=full, records=records, removed_ids=set(removed),
            state_dir=self.state_dir / "plugins", site=dict(renderer.portal),
            progress=lambda message: _progress(self.cfg, message), _writer=writer,
            _renderer=renderer, _changed=lambda: writer.changed,
            page_records=page_records, page_removed_ids=set() if full else page_removed,
        )

    # -- incremental ------------------------------------------------------------------------
    def _check_state(self, renderer: Renderer | None = None) -> State:
        if not self.db_path.exists():
            raise NeedsFullBuild("还没有生成过站点")
        st = State(self.db_path)
        live = self.releases.live()
        if live is None or st.get_meta("live") != live:
            st.close()
            raise NeedsFullBuild("站点目录与生成状态不一致")
        if renderer is not None and st.get_meta("fingerprint") != renderer.fingerprint():
            st.close()
            raise NeedsFullBuild("主题或站点设置已改变")
        if st.get_meta("columns") is None:
            st.close()
            raise NeedsFullBuild("生成状态中没有栏目")
        return st

    def _diff(self, spool: Spool, departments) -> BuildResult:
        renderer = Renderer(self.cfg, departments)
        st = self._check_state(renderer)
        try:
            stored = st.all_hashes()
        finally:
            st.close()
        changed = {}
        for doc_id, entry in self.index.items():
            if stored.get(doc_id) != entry[7]:
                changed[doc_id] = spool.get(doc_id)
        removed = set(stored) - set(spool.offsets)
        self._lap("diff")
        return self._incremental(renderer, changed, removed, spool.fetch, total_live=len(spool))

    def _targeted(self, records, ids: set[str], fetch) -> BuildResult:
        if not self.db_path.exists():
            raise NeedsFullBuild("还没有生成过站点")
        st = State(self.db_path)
        try:
            stored = st.get_meta("departments")
        finally:
            st.close()
        departments = [tuple(d) for d in orjson.loads(stored)] if stored else []
        configured = [(docinfo.site_slug(s), n) for s, n in self.cfg.departments]
        known = dict(departments)
        merged = configured + [(s, n) for s, n in departments if s not in dict(configured)]
        changed = {}
        for rec in records:
            doc_id = str(rec["id"])
            if doc_id not in ids:
                continue
            if docinfo.site_slug(str(rec["site"])) not in known and docinfo.site_slug(str(rec["site"])) not in dict(
                    configured):
                raise NeedsFullBuild(f"新的部门站点 {rec['site']}")
            changed[doc_id] = rec
        removed = ids - set(changed)
        renderer = Renderer(self.cfg, merged)
        return self._incremental(renderer, changed, removed, fetch, total_live=None)

    def _incremental(self, renderer: Renderer, changed: dict[str, dict], removed: set[str], fetch,
                     total_live: int | None) -> BuildResult:
        cfg = self.cfg
        st = self._check_state(renderer)
        live = self.releases.live()
        target = self.releases.other(live)
        result = BuildResult(full=False, release=target)
        stored = st.get_docs(set(changed) | removed)
        changed = {i: r for i, r in changed.items() if i not in stored or stored[i]["rhash"] != record_hash(r)}
        removed = {i for i in removed if i in stored}
        try:
            pages = self._plan_pages(st.page_versions, full=False)
            columns = None
            stored_columns = st.get_meta("columns")
            if stored_columns != renderer.columns_json():  # a column edit (ADR 0135): look up what shows it
                columns = column_changes(renderer, stored_columns, st, _list_keys(st, renderer.departments),
                                         [spec for _set, specs in self.page_sets for spec in specs],
                                         _theme_pages(renderer))
        except BaseException:
            st.close()
            raise
        if columns is not None:  # pages at an edited column's address show its tags (ADR 0135)
            planned = {spec.path for spec in pages.render}
            pages.render += [spec for spec in columns.pages if spec.path not in planned]
        due = plugins_want_build(self.plugins, self.state_dir) or (self.seal and bool(st.seals_due()))
        if not changed and not removed and not pages and columns is None and not due:
            # nothing to do: no new release, no plugin events
            result.release = live
            result.documents = total_live if total_live is not None else st.count("all")
            st.close()
            result.seconds = time.perf_counter() - self.t0
            return result
        try:
            if st.get_meta("synced") != "1" or self.releases.dirty_marker(target).exists() \
                    or not self.releases.path(target).is_dir():
                self.releases.clone(live, target)
            else:
                self.releases.sync_paths(live, target, st.pending_paths())
            self.releases.dirty_marker(target).touch()
            self._lap("sync")
            writer = Writer(self.releases.path(target), fresh=False)
            st.begin()
            public = {doc_id: docinfo.public_record(rec) for doc_id, rec in changed.items()}
            rendered = _apply_changes(renderer, st, writer, cfg, changed, public, removed, fetch, seal=self.seal)
            if self.seal:
                _apply_seals(renderer, st, writer, cfg)
            if columns is not None:
                rendered += _apply_column_changes(renderer, st, writer, cfg, columns, fetch)
            result.rendered_documents = rendered
            result.pages_rendered = _write_pages(renderer, writer, pages, st)
            st.update_pages(pages.upsert, pages.drop)
            self._lap("render")
            ctx = self._context(writer, renderer, False, list(public.values()), removed, pages)
            run_event(self.plugins, "on_render", ctx)
            st.set_meta("live", target)
            st.set_pending(writer.changed)
            st.set_meta("synced", "1")
            self.releases.switch(target)
            st.commit()
        except BaseException:
            st.rollback()
            st.close()
            raise
        self.releases.dirty_marker(target).unlink(missing_ok=True)
        self._lap("switch")
        result.live_seconds = time.perf_counter() - self.t0
        result.documents = total_live if total_live is not None else st.count("all")
        st.close()
        result.files_written = writer.files
        result.bytes_written = writer.bytes
        result.changed_paths = sorted(writer.changed)
        result.files_deleted = sum(1 for p in writer.changed if not writer.exists(p))
        result.plugin_errors = run_event(self.plugins, "on_live", ctx, strict=False)
        result.seconds = time.perf_counter() - self.t0
        result.timings = self.timings
        return result


PAGE_FILES = "page:"  # a contributed page's rows in ``doc_files`` (document ids never hold a colon-path)


def plugins_want_build(plugins: Iterable[BuildPlugin], state_dir: Path) -> bool:
    """Whether a plugin has work of its own for a build with no change (``BasePlugin.wants_build``)."""
    return any(getattr(p, "wants_build", None) and p.wants_build(state_dir / "plugins") for p in plugins)


def seals_due(state_dir: Path) -> bool:
    """Whether an editor's build left a full list page unsealed (ADR 0161). Read-only; False
    without a state."""
    path = Path(state_dir) / "state.sqlite3"
    if not path.is_file():
        return False
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key='seals_due'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return bool(row and orjson.loads(row[0]))


def work_due(plugins: Iterable[BuildPlugin], state_dir: Path) -> bool:
    """Whether the build worker should run a build of its own with no change: a plugin's work (the
    search delta's merge, ADR 0145) or list pages to seal (ADR 0161)."""
    return seals_due(state_dir) or plugins_want_build(plugins, state_dir)


def _write_pages(renderer: Renderer, writer: Writer, pages: PagePlan, st: State,
                 render: Callable[[list[PageSpec]], None] | None = None) -> int:
    """Write the planned contributed pages (removals first: a path may move between sets), then
    the feeds of the sets they belong to.

    The stored files a page links (``PageSpec.files``) are placed with it and recorded in the
    state like a document's attachments (owner ``page:<path>``), so a file no page or document
    links any more leaves the site.

    ``render`` (a full build's): renders the pages whose context is plain data (``_is_plain``) elsewhere (worker
    processes, ``_render_page_task``); a lazy context may read the CMS's database, so those pages
    are rendered here, as are all of them without ``render``.
    """
    owners = [PAGE_FILES + p for p in pages.delete] + [PAGE_FILES + spec.path for spec in pages.render]
    before = st.files_of(owners)
    st.delete_files(PAGE_FILES + p for p in pages.delete)
    for path in pages.delete:
        writer.delete(path)
    rows = []
    for spec in pages.render:
        placed = [rel for rel, source in renderer.attachment_files({"attachments": list(spec.files)})
                  if writer.link(rel, source)]
        rows.append({"id": PAGE_FILES + spec.path, "files": placed})
    here = pages.render
    if render is not None:
        forkable = [_is_plain(spec.context) for spec in pages.render]
        render([spec for spec, plain in zip(pages.render, forkable, strict=True) if plain])
        here = [spec for spec, plain in zip(pages.render, forkable, strict=True) if not plain]
    for spec in here:
        writer.write(spec.path, _page_html(renderer, spec))
    st.put_files(rows)
    for path in sorted(st.unreferenced(before)):
        writer.delete(path)
    for feed, entries in pages.feeds:
        _write_page_feed(renderer, writer, feed, entries)
    if pages.total:
        logger.info("页面集：%d 个页面中重新生成 %d 个，删除 %d 个", pages.total, len(pages.render), len(pages.delete))
    return len(pages.render)


def _is_plain(context) -> bool:
    """Whether a page's context is plain data (JSON's types, dates, ``Markup``) that a forked worker
    may render: a function or an object in it (a model instance, a queryset) could read the CMS's
    database, whose connection a forked child shares with its parent."""
    if callable(context):
        return False
    try:
        orjson.dumps(context, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return False
    return True


def _page_html(renderer: Renderer, spec: PageSpec) -> bytes:
    """A contributed page rendered with the theme (its URL is the canonical one unless it says)."""
    context = {"meta": {"title": None, "column": ""}, **spec.resolved_context()}
    context["meta"] = {"canonical": spec.url, **(context["meta"] or {})}
    return renderer.render_page(spec.template, context)


def _render_page_task(task: tuple[int, int]) -> tuple[int, int]:
    """Pages ``start:end`` of the full build's list of contributed pages to render (``_G``)."""
    start, end = task
    renderer: Renderer = _G["renderer"]
    writer = Writer(_G["root"], fresh=True, mirror=_G["mirror"])
    for spec in _G["page_specs"][start:end]:
        writer.write(spec.path, _page_html(renderer, spec))
    return writer.files, writer.bytes


@dataclass(frozen=True)
class _FeedMeta:
    """What the renderer's feeds read of a list: its base URL and title."""

    base: str
    title: str


def _write_page_feed(renderer: Renderer, writer: Writer, feed: PageFeed, entries: list[dict]) -> None:
    """A page set's RSS and Atom feeds: its newest entries, as the document lists' feeds."""
    items = []
    for e in entries:
        try:
            published = datetime.fromisoformat(str(e["published"]))
            updated = datetime.fromisoformat(str(e.get("updated") or e["published"]))
        except (KeyError, ValueError):
            raise BuildError(f"页面 {e['url']} 的订阅条目没有有效的发布时间（published）：{e.get('published')!r}") from None
        if published.tzinfo is None or updated.tzinfo is None:
            raise BuildError(f"页面 {e['url']} 的订阅条目时间缺少时区：{e.get('published')!r}")
        items.append({"t": str(e.get("title") or ""), "u": e["url"], "p": published.isoformat(),
                      "up": max(published, updated).isoformat(), "s": str(e.get("summary") or "")[:300],
                      "c": str(e.get("category") or ""), "o": str(e.get("author") or "")})
    items.sort(key=lambda i: (datetime.fromisoformat(i["p"]), i["u"]), reverse=True)
    items = items[:renderer.cfg.feed_size]
    meta = _FeedMeta("/" + feed.path, feed.title)
    writer.write(feed.path + "rss.xml", renderer.rss(meta, items))
    writer.write(feed.path + "atom.xml", renderer.atom(meta, items))


def _tree_diff(new_root: Path, old_root: Path | None) -> set[str]:
    new = _walk(new_root)
    old = _walk(old_root) if old_root and old_root.is_dir() else set()
    return new | (old - new)


def _walk(root: Path) -> set[str]:
    out = set()
    base = len(str(root)) + 1
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            out.add(os.path.join(dirpath, f)[base:])
    return out


# ---------------------------------------------------------------------------------------------
# Pool functions (full build)
def _render_records(records: Iterable[dict]):
    """Render document pages; ``(state rows, files, bytes, [(record, public record)])``."""
    renderer: Renderer = _G["renderer"]
    links, interps = _G["links"], _G["interps"]
    writer = _G.get("writer")
    if writer is None or writer.root != _G["root"]:
        writer = _G["writer"] = Writer(_G["root"], fresh=True, mirror=_G["mirror"])
    f0, b0 = writer.files, writer.bytes
    rows = []
    published = []
    for rec in records:
        b = docinfo.basics(rec)
        rows.append(renderer.doc_row(rec, b))  # the content hash is the input's (incremental builds compare it)
        public = docinfo.public_record(rec)
        files = renderer.place_attachments(writer, public)
        writer.write(b["url"], renderer.doc_page(public, b, _related_from_index(b, links, interps), files))
        published.append((rec, public))
    writer.changed.clear()
    return rows, writer.files - f0, writer.bytes - b0, published


def _render_doc_chunk(ids: list[str]):
    spool: Spool = _G["spool"]
    rows, files, nbytes, published = _render_records(spool.get(doc_id) for doc_id in ids)
    # public records whose body the sanitizer changed: the spool takes them back for the plugins
    return rows, files, nbytes, [public for rec, public in published if public is not rec], None


def _render_doc_part(part):
    """One part of a ``PartedRecords``: read here, rendered, and its public records appended to
    this process's spool file, which the main process adopts (``Spool.adopt``) for the plugins."""
    rows, files, nbytes, published = _render_records(_G["parted"].read_part(part))
    segment = _G.get("segment")
    if segment is None or segment[0] != os.getpid():
        path = _G["spool_dir"] / f"part-{os.getpid()}.jsonl"
        segment = _G["segment"] = (os.getpid(), str(path), open(path, "wb"))  # noqa: SIM115 - kept per process
    fh = segment[2]
    entries = []
    for _rec, public in published:
        data = orjson.dumps(public)
        entries.append((str(public["id"]), fh.tell(), len(data)))
        fh.write(data)
    fh.flush()
    return rows, files, nbytes, [], (segment[1], entries)


def _link(links, doc_id):
    t = links.get(doc_id) if doc_id else None
    return {"title": t[0], "url": t[1]} if t else None


def _related_from_index(b: dict, links, interps) -> dict:
    return {
        "policy": _link(links, b["interprets"]),
        "replacement": _link(links, b["replaced_by"]),
        "interpretations": [
            {"id": i, "title": links[i][0], "url": links[i][1], "date": links[i][2]}
            for _ts, i in interps.get(b["id"], [])
        ],
    }


def _render_list_task(task):
    key, start, end, index = task
    renderer: Renderer = _G["renderer"]
    st = _G.get("ro_state")
    if st is None:
        st = _G["ro_state"] = State(_G["db"], readonly=True)
    writer = Writer(_G["root"], fresh=True, mirror=_G["mirror"])
    lists = _Lists(renderer, st, writer, renderer.cfg)
    if index:
        lists.render_index(key)
    else:
        lists.render_pages(key, range(start, end + 1))
    return writer.files, writer.bytes


# ---------------------------------------------------------------------------------------------
class _Lists:
    """Rendering of a list's pages; shared by full and incremental builds (identical output)."""

    def __init__(self, renderer: Renderer, st: State, writer: Writer, cfg: BuildConfig):
        self.r, self.st, self.w, self.cfg = renderer, st, writer, cfg

    def render_pages(self, key: str, pages: Iterable[int]) -> None:
        """Archived pages of a list, each from its stored key range (docs/adr/0143)."""
        pages = sorted(set(pages))
        if not pages:
            return
        last = self.st.page_count(key)
        lm = self.r.list_meta(key)
        entries = self.st.page_entries(key, pages[0], pages[-1])
        for p in pages:
            if p in entries:
                self.w.write(lm.page_path(p), self.r.list_page(lm, entries[p], page_no=p, last_page=last))

    def render_index(self, key: str) -> None:
        """A list's index page (its newest items) and feed. Only a department's page says how many
        documents it holds ("共 N 条", beside its categories' counts, which change with it anyway): on
        any other list the total would make every withdrawal of an old document rewrite the list's
        index page as well as the archived page it leaves (ADR 0161)."""
        ps = self.cfg.page_size
        lm = self.r.list_meta(key)
        n = self.st.count(key) if lm.kind == "s" else None
        last = self.st.page_count(key)
        children = None
        if lm.kind == "s":
            children = [
                {"name": k.split(":", 2)[2], "count": c, "url": f"/{lm.site}/{docinfo.category_slug(k.split(':', 2)[2])}/"}
                for k, c in sorted(self._sub_counts(lm.site).items(), key=lambda kv: category_order(kv[0]))
            ]
        # The newest page's worth, or the whole open tail while its seal waits for the build
        # worker's own build (ADR 0161): no item is ever on no page.
        entries = self.st.entries(self.st.tail(key, max(ps, self.st.open_count(key))))
        self.w.write(lm.index_path(), self.r.list_page(lm, entries, page_no=None, last_page=last, count=n,
                                                        children=children))
        if lm.feeds:
            # One feed format (Atom) per list: a new document rewrites one feed per list (ADR 0156).
            items = [orjson.loads(f) for f in reversed(self.st.entries(self.st.tail(key, self.cfg.feed_size), "feed"))]
            self.w.write(lm.base.lstrip("/") + "atom.xml", self.r.atom(lm, items))

    def _sub_counts(self, site: str) -> dict[str, int]:
        rows = self.st.db.execute(
            "SELECT key, count FROM lists WHERE key >= ? AND key < ?", (f"sc:{site}:", f"sc:{site};")
        )
        return dict(rows)

    def delete_list(self, key: str, old_last: int) -> None:
        lm = self.r.list_meta(key)
        for p in range(1, old_last + 1):
            self.w.delete(lm.page_path(p))
        self.w.delete(lm.index_path())
        if lm.feeds:
            self.w.delete(lm.base.lstrip("/") + "atom.xml")


class _Singletons:
    """Outputs that depend on the whole site: sitemaps, home page, catalogue, 404, robots, assets."""

    def __init__(self, renderer: Renderer, st: State, writer: Writer, cfg: BuildConfig):
        self.r, self.st, self.w, self.cfg = renderer, st, writer, cfg

    def sitemap_part(self, site: str, part: int) -> None:
        m = self.cfg.sitemap_max
        key = f"s:{site}"
        ids = self.st.slice(key, (part - 1) * m, part * m)
        name = f"{site}-{part}"
        rel = f"sitemaps/{name}.xml"
        if not ids:
            self.w.delete(rel)
            self.st.set_sitemap_part(name, None)
            return
        urls = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT id, url, lastmod FROM docs WHERE id IN ({','.join('?' * len(chunk))})"
            got = {r[0]: (r[1], r[2]) for r in self.st.db.execute(q, chunk)}
            urls += [got[d] for d in chunk]
        self.w.write(rel, self.r.sitemap(urls))
        self.st.set_sitemap_part(name, max((u[1] for u in urls), key=datetime.fromisoformat))

    def all_sitemaps(self, departments) -> None:
        m = self.cfg.sitemap_max
        for site, _ in departments:
            n = self.st.count(f"s:{site}")
            for part in range(1, -(-n // m) + 1):
                self.sitemap_part(site, part)

    def write_site_pages(self, *, full: bool) -> None:
        r, st, w = self.r, self.st, self.w
        counts = st.counts()
        list_keys = sorted(set(counts) | _always_lists(r.departments))
        standalone = _theme_pages(r)
        urls = [("/", None), ("/catalog/", None), ("/sitemap/", None)] + [(r.list_meta(k).base, None) for k in list_keys]
        urls += [(f"/{p}/", None) for p in standalone]
        m = self.cfg.sitemap_max
        page_parts = []
        for k in range(0, len(urls), m):
            page_parts.append(f"/sitemaps/pages-{k // m + 1}.xml")
            w.write(f"sitemaps/pages-{k // m + 1}.xml", r.sitemap(urls[k:k + m]))
        extra = len(page_parts) + 1
        while w.exists(f"sitemaps/pages-{extra}.xml"):  # the list of lists got shorter
            w.delete(f"sitemaps/pages-{extra}.xml")
            extra += 1
        parts = page_parts + [f"/sitemaps/{n}.xml" for n, _lm in st.sitemap_parts()]
        w.write("sitemap.xml", r.sitemap_index(parts))
        blocks = []
        for key in ["all"] + sorted((k for k in counts if k.startswith("c:")), key=category_order):
            lm = r.list_meta(key)
            blocks.append({"name": lm.title, "url": lm.base,
                           "entries": Markup("\n".join(reversed(st.entries(st.tail(key, self.cfg.home_block_size)))))})
        w.write("index.html", r.home(blocks))
        w.write("catalog/index.html", r.catalog(counts))  # the lists, not their counts (ADR 0156)
        if full:
            self.write_columns()
        if full:
            w.write("404.html", r.not_found())
            w.write("robots.txt", r.robots())
            for theme in r.themes.all():
                for out_rel, src in theme.assets.values():
                    w.write(out_rel, src.read_bytes())
            for p in standalone:
                w.write(f"{p}/index.html", r.standalone(p))

    def write_columns(self) -> None:
        """What shows the whole column tree: the sites' menu files and the 网站地图 (ADR 0135)."""
        for rel, data in self.r.nav_files().items():
            self.w.write(rel, data)
        self.w.write("sitemap/index.html", self.r.site_map())


def _theme_pages(renderer: Renderer) -> list[str]:
    """The theme's own standalone pages (``pages/<name>.html``), not hidden by a department site."""
    return [p for p in renderer.themes.default.page_names() if p not in dict(renderer.departments)]


def _list_keys(st: State, departments) -> set[str]:
    return set(st.counts()) | _always_lists(departments)


def _apply_column_changes(renderer: Renderer, st: State, writer: Writer, cfg: BuildConfig, ch: ColumnChanges,
                          fetch) -> int:
    """Rewrite what a column edit changed (``column_changes``): the menu files, the 网站地图, the lists
    and documents whose column tags differ and the theme pages at an edited column's address.
    Returns the number of document pages rendered."""
    lists = _Lists(renderer, st, writer, cfg)
    for key in sorted(ch.lists):
        lists.render_pages(key, range(1, st.page_count(key) + 1))
        lists.render_index(key)
    ids = sorted(ch.docs)
    if ids and fetch is None:
        raise NeedsFullBuild("栏目改变了文件页面，但没有提供读取记录的方法")
    for i in range(0, len(ids), 500):
        batch = ids[i:i + 500]
        got = 0
        for rec in fetch(batch):
            public = docinfo.public_record(rec)
            b = docinfo.basics(public)
            related = {"policy": st.link_of(b["interprets"]), "replacement": st.link_of(b["replaced_by"]),
                       "interpretations": st.interpretations(b["id"])}
            writer.write(b["url"], renderer.doc_page(public, b, related, renderer.place_attachments(writer, public)))
            got += 1
        if got != len(batch):
            raise NeedsFullBuild("栏目改变了文件页面，但有文件的记录读不到")
    singles = _Singletons(renderer, st, writer, cfg)
    singles.write_site_pages(full=False)  # the home page and the catalogue take tags from columns at their URL
    singles.write_columns()
    for name in ch.theme_pages:
        writer.write(f"{name}/index.html", renderer.standalone(name))
    st.set_meta("columns", renderer.columns_json())
    return len(ids)


# ---------------------------------------------------------------------------------------------
def _apply_seals(renderer: Renderer, st: State, writer: Writer, cfg: BuildConfig) -> None:
    """Seal the full pages editors' builds left on their lists' open tails (ADR 0161), as
    ``_apply_changes`` does inline: the new archived pages, the page before them (its "newer" link)
    and the index page (its "older" link, and a page's worth again)."""
    due = st.seals_due()
    if not due:
        return
    lists = _Lists(renderer, st, writer, cfg)
    for key in sorted(due):
        if not st.count(key):
            continue  # emptied since: _apply_changes dropped it
        old_last = st.page_count(key)
        sealed = st.seal_open(key, cfg.page_size)
        lists.render_pages(key, set(sealed) | ({old_last} if sealed and old_last else set()))
        lists.render_index(key)
    st.set_seals_due([])


def _apply_changes(renderer: Renderer, st: State, writer: Writer, cfg: BuildConfig, changed: dict[str, dict],
                   public: dict[str, dict], removed: set[str], fetch, *, seal: bool = True) -> int:
    """Update the state and rewrite exactly the outputs that depend on the changed documents.

    ``changed`` are the records as given (their content hash goes into the state), ``public`` the
    same records as published (``docinfo.public_record``); related records are fetched and made public.
    """
    ps, m = cfg.page_size, cfg.sitemap_max
    old = st.get_docs(set(changed) | removed)
    removed = {i for i in removed if i in old}
    new_rows: dict[str, dict] = {}
    basics: dict[str, dict] = {}
    for doc_id, rec in changed.items():
        b = docinfo.basics(rec)
        basics[doc_id] = b
        row = renderer.doc_row(rec, b)
        if doc_id in old and old[doc_id]["rhash"] == row["rhash"]:
            continue
        new_rows[doc_id] = row
    if not new_rows and not removed:
        return 0

    # Which archived pages of which lists change (docs/adr/0143): pages keep their key ranges, so
    # a document touches the page its old key falls in and the one its new key falls in, no other.
    # ``touched``: list key -> archived pages to rewrite (the index and feeds are rewritten for
    # every touched list); sitemap parts are cut by position: site -> [first structural position,
    # {in-place positions}].
    touched: dict[str, set[int]] = {}
    sitemaps: dict[str, list] = {}
    old_counts: dict[str, int] = {}

    def mark_page(key: str, ts: int, doc_id: str) -> None:
        page = st.page_of(key, ts, doc_id)
        pages = touched.setdefault(key, set())
        if page is not None:
            pages.add(page)

    def mark_sitemap(site: str, pos: int, structural: bool) -> None:
        t = sitemaps.setdefault(site, [None, set()])
        if structural:
            t[0] = pos if t[0] is None else min(t[0], pos)
        else:
            t[1].add(pos)

    structural: dict[str, bool] = {}
    for doc_id in set(new_rows) | removed:
        o = old.get(doc_id)
        n = new_rows.get(doc_id)
        is_struct = o is None or n is None or o["ts"] != n["ts"] or o["lists"] != n["lists"]
        structural[doc_id] = is_struct
        if o is None:
            continue
        for key in orjson.loads(o["lists"]):
            if key not in old_counts:
                old_counts[key] = st.count(key)
            if is_struct or o["entry"] != n["entry"]:
                mark_page(key, o["ts"], doc_id)
            elif o["feed"] != n["feed"]:
                touched.setdefault(key, set())
            if key == f"s:{o['site']}" and (is_struct or o["lastmod"] != n["lastmod"]):
                mark_sitemap(o["site"], old_counts[key] - _newer_or_equal(st, key, o["ts"], doc_id), is_struct)

    # Attachment files: a path no live document attaches any more leaves the site (a withdrawn
    # document's files are not published on); files new to the site are placed with the pages.
    old_files = st.files_of(set(new_rows) | removed)
    st.delete_files(removed)
    st.put_files(list(new_rows.values()))
    for path in sorted(st.unreferenced(old_files)):
        writer.delete(path)

    # Apply to the state.
    deltas: Counter = Counter()
    for doc_id in removed | {i for i in new_rows if i in old and structural[i]}:
        st.delete_doc(old[doc_id])
        for key in orjson.loads(old[doc_id]["lists"]):
            deltas[key] -= 1
    for doc_id, row in new_rows.items():
        if doc_id in old and not structural[doc_id]:
            _replace_doc(st, row)
        else:
            st.put_docs([row])
            for key in orjson.loads(row["lists"]):
                deltas[key] += 1
    for key in deltas:
        if key not in old_counts:
            old_counts[key] = st.count(key)  # the lists table is not updated yet: the old count
    new_counts = {key: old_counts[key] + deltas.get(key, 0) for key in old_counts}
    for key, n in new_counts.items():
        if n:
            st.db.execute("INSERT OR REPLACE INTO lists(key, count) VALUES (?, ?)", (key, n))
        else:
            st.db.execute("DELETE FROM lists WHERE key=?", (key,))
    for doc_id, row in new_rows.items():
        if structural[doc_id]:
            for key in orjson.loads(row["lists"]):
                mark_page(key, row["ts"], doc_id)
                if key == f"s:{row['site']}":
                    mark_sitemap(row["site"], new_counts[key] - _newer_or_equal(st, key, row["ts"], doc_id), True)

    # Document pages: the changed ones and those that show them (policy <-> interpretation, replacement).
    render_ids = set(new_rows)
    for doc_id in set(new_rows) | removed:
        for row in (old.get(doc_id), new_rows.get(doc_id)):
            if row and row["interprets"]:
                render_ids.add(row["interprets"])
        render_ids |= st.referencing(doc_id)
    render_ids -= removed
    live_rows = st.get_docs(render_ids)
    render_ids = set(live_rows)
    missing = render_ids - set(changed)
    records = dict(public)
    if missing:
        if fetch is None:
            raise NeedsFullBuild("需要重新生成相关文件，但没有提供读取记录的方法")
        for rec in fetch(missing):
            records[str(rec["id"])] = docinfo.public_record(rec)
    for doc_id in sorted(render_ids):
        rec = records.get(doc_id)
        if rec is None:
            raise NeedsFullBuild(f"找不到文件 {doc_id} 的记录")
        b = basics.get(doc_id) or docinfo.basics(rec)
        related = {
            "policy": st.link_of(b["interprets"]),
            "replacement": st.link_of(b["replaced_by"]),
            "interpretations": st.interpretations(doc_id),
        }
        writer.write(b["url"], renderer.doc_page(rec, b, related, renderer.place_attachments(writer, rec)))
    for doc_id in removed | {i for i in new_rows if i in old}:
        if doc_id in removed or old[doc_id]["url"] != new_rows[doc_id]["url"]:
            writer.delete(old[doc_id]["url"])

    # Lists and feeds.
    lists = _Lists(renderer, st, writer, cfg)
    dept_keys = _always_lists(renderer.departments)
    due = st.seals_due()
    due_before = set(due)
    for key in sorted(touched):
        pages = touched[key]
        old_last = st.page_count(key)
        if new_counts[key] == 0:
            st.drop_pages(key)
            due.discard(key)
            if key not in dept_keys:
                lists.delete_list(key, old_last)
                continue
            pages = set()
        elif not seal:
            # An editor's build leaves a full open page to the build worker's own build, which
            # seals it (new page, the previous one's "newer" link, the index's "older" link): a new
            # document then writes the same dozen files whether a list fills a page or not (ADR 0161).
            if st.open_count(key) >= ps:
                due.add(key)
        else:
            sealed = st.seal_open(key, ps)  # full pages off the open tail, as a full build cuts them
            if sealed and old_last:
                pages.add(old_last)  # its "newer" link now leads to the new page, not the index
            pages.update(sealed)
            due.discard(key)
        lists.render_pages(key, pages)
        lm = renderer.list_meta(key)
        for p in range(st.page_count(key) + 1, old_last + 1):
            writer.delete(lm.page_path(p))
        lists.render_index(key)
    if due != due_before:
        st.set_seals_due(due)
    # A department's index shows its category counts.
    for key in sorted({f"s:{k.split(':')[1]}" for k in touched if k.startswith("sc:")} - set(touched)):
        lists.render_index(key)

    singles = _Singletons(renderer, st, writer, cfg)
    for site, (first, inplace) in sorted(sitemaps.items()):
        n_old, n_new = old_counts.get(f"s:{site}", 0), new_counts.get(f"s:{site}", 0)
        parts = set()
        if first is not None:
            parts.update(range(first // m + 1, -(-n_new // m) + 1))
        parts.update(p // m + 1 for p in inplace)
        parts.update(range(-(-n_new // m) + 1, -(-n_old // m) + 1))  # parts that no longer exist
        for part in sorted(parts):
            singles.sitemap_part(site, part)
    singles.write_site_pages(full=False)
    return len(render_ids)


def _always_lists(departments) -> set[str]:
    """Lists whose pages exist even when empty: the site-wide list and each department's."""
    return {"all"} | {f"s:{s}" for s, _ in departments}


def _newer_or_equal(st: State, key: str, ts: int, doc_id: str) -> int:
    return st.db.execute(
        "SELECT count(*) FROM list_items WHERE list_key=? AND (ts, id) >= (?, ?)", (key, ts, doc_id)
    ).fetchone()[0]


def _replace_doc(st: State, row: dict) -> None:
    """An in-place change (same lists, same date): replace the row, keep list memberships."""
    st.db.execute(
        f"INSERT OR REPLACE INTO docs({', '.join(DOC_COLUMNS)}) VALUES ({','.join('?' * len(DOC_COLUMNS))})",
        tuple(row[c] for c in DOC_COLUMNS),
    )
