"""One publish from start to finish: scan, compare, send in waves, delete, seal.

Object stores have no transactions, so a publish keeps a journal on the target: before the
first write it stores the state every touched path is meant to reach; the manifest is the last
object written and the journal is removed after it. A run that finds a journal knows the
manifest may be wrong for exactly those paths and asks the store what they hold (HEAD, or one
listing when there are many) before planning; everything else is trusted to the manifest.
Whatever point a run was killed at, the next one converges on the local build.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from content_models.files import human_size

from .changes import ChangeLog
from .errors import PublishError, _
from .headers import HeaderRules
from .lock import DEFAULT_TIMEOUT, DEFAULT_TTL, exclusive
from .manifest import Entry, Manifest, ManifestInfo, Retired, rescan_dirs, scan_site
from .plan import Plan, make_plan, retire_hashed
from .targets import LocalDirTarget, Observed, S3Target

ProgressFn = Callable[[str], None]
# Above this many paths to check, one listing (1,000 keys a request) beats a HEAD per object.
HEAD_LIMIT = 300


@dataclass
class PublishSummary:
    target: str
    dry_run: bool = False
    uploads: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    unchanged: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    resumed: bool = False
    requests: int = 0
    write_requests: int = 0
    release: str | None = None
    purged: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks
    scanned: str = ""  # "walk" (the whole tree) or "changes" (only what the builds reported)
    retired: int = 0  # content-hashed files gone from the site, kept on the target for a while

    def lap(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - since
        return now

    def text(self) -> str:
        if self.dry_run:
            head = _(
                "试运行（未做任何更改）：将上传 %(up)d 个，删除 %(del)d 个，未变 %(same)d 个，约 %(size)s。"
            )
        else:
            head = _(
                "发布完成：上传 %(up)d 个，删除 %(del)d 个，未变 %(same)d 个，传输 %(size)s，用时 %(sec).1f 秒。"
            )
        text = head % {
            "up": len(self.uploads),
            "del": len(self.deletes),
            "same": self.unchanged,
            "size": human_size(self.bytes_sent),
            "sec": self.seconds,
        }
        if self.resumed:
            text += _("（已接续上次未完成的发布）")
        if self.release:
            text += _("当前版本：%(release)s。") % {"release": self.release}
        if self.purged:
            text += _("已请求 CDN 刷新 %(n)d 个路径。") % {"n": self.purged}
        return text


class _Progress:
    """Throttled progress lines (at most one a second) for long publishes."""

    def __init__(self, fn: ProgressFn | None, interval: float = 1.0):
        self.fn = fn
        self.interval = interval
        self.last = time.monotonic()

    def __call__(self, message: str, *, force: bool = False) -> None:
        if self.fn is None:
            return
        now = time.monotonic()
        if force or now - self.last >= self.interval:
            self.last = now
            self.fn(message)


def publish(
    site_dir: str | os.PathLike,
    target: S3Target | LocalDirTarget,
    *,
    dry_run: bool = False,
    verify: bool = False,
    workers: int = 8,
    rules: HeaderRules | None = None,
    cache_path: str | os.PathLike | None = None,
    changes: ChangeLog | None = None,
    trust_changes: bool = False,
    progress: ProgressFn | None = None,
    progress_interval: float = 1.0,
    purge: Callable[[list[str]], int] | None = None,
    retire_grace: float = 3600.0,
    lock_timeout: float = DEFAULT_TIMEOUT,
    lock_ttl: float = DEFAULT_TTL,
    lock_dir: str | os.PathLike | None = None,
) -> PublishSummary:
    """Make ``target`` hold exactly the site in ``site_dir`` (a symlink to a release is resolved once).

    ``cache_path`` keeps file hashes between runs for the full walk. ``changes`` is the builds'
    change log; with ``trust_changes`` (the build plugin after each build) the tree is not
    walked when the log is known to hold every change since the manifest on the target was
    written: only the directories it names are re-read (see ``publish.changes``).

    The target is held for the run (``publish.lock``): a publish already running there is waited
    for up to ``lock_timeout`` seconds, then ``PublishLocked`` is raised. ``lock_ttl`` is how long
    a bucket lock outlives a publish that died; ``lock_dir`` holds the machine's lock files of
    bucket targets (a directory target's lies beside it).
    """
    started = time.monotonic()
    root = Path(site_dir)
    if not root.is_dir():
        raise PublishError(
            _("站点目录 %(path)s 不存在，请先生成站点（govsite build_site）。") % {"path": root}
        )
    root = root.resolve()
    report = _Progress(progress, progress_interval)
    summary = PublishSummary(target=target.url, dry_run=dry_run)
    if isinstance(target, LocalDirTarget):
        target.check()
    else:
        if cache_path is not None and target.manifest_cache is None:
            key = hashlib.sha1(target.url.encode(), usedforsecurity=False).hexdigest()[:12]
            target.manifest_cache = Path(cache_path).with_name(f"manifest-{key}.json.gz")
        target.check_bucket()
    t = summary.lap("read target", started)
    # One publish per target from reading its records to sealing them (a dry run writes nothing).
    hold = (
        contextlib.nullcontext(_no_guard)
        if dry_run
        else exclusive(target, timeout=lock_timeout, ttl=lock_ttl, lock_dir=lock_dir, report=report)
    )
    with hold as guard:
        t = summary.lap("lock", t)
        _publish_held(
            root,
            target,
            summary,
            t,
            dry_run=dry_run,
            verify=verify,
            workers=workers,
            rules=rules,
            cache_path=cache_path,
            changes=changes,
            trust_changes=trust_changes,
            report=report,
            retire_grace=retire_grace,
            guard=guard,
        )
    if purge and not dry_run and (summary.uploads or summary.deletes):
        pages = [p for p in summary.uploads + summary.deletes if p.endswith((".html", ".htm"))]
        if pages:
            summary.purged = purge(pages)
    summary.seconds = time.monotonic() - started
    return summary


def _no_guard() -> None:
    return None


def _publish_held(
    root: Path,
    target: S3Target | LocalDirTarget,
    summary: PublishSummary,
    t: float,
    *,
    dry_run: bool,
    verify: bool,
    workers: int,
    rules: HeaderRules | None,
    cache_path,
    changes: ChangeLog | None,
    trust_changes: bool,
    report: _Progress,
    retire_grace: float,
    guard: Callable[[], None],
) -> None:
    """The publish proper, with the target held (see ``publish.lock``)."""
    # What the target holds, read first: the base of a trusted scan.
    if isinstance(target, LocalDirTarget):
        target.check()  # again: another publish may have run while we waited
        if trust_changes and not verify and changes is not None:
            change_files, changed = changes.snapshot()
            mid = target.store_manifest_id()
            if mid is not None and changed is not None and changes.can_trust(target.url, mid):
                target.manifest_id = mid
                # The keyed store describes the live release and the log holds every change since.
                _publish_local_changes(root, changed, target, summary, t, dry_run=dry_run, rules=rules,
                                       report=report, grace=retire_grace)
                if not dry_run:
                    try:
                        changes.mark_published(target.url, target.manifest_id, walked=False)
                        ChangeLog.consume(change_files)
                    except OSError:
                        pass  # the next publish walks the tree
                return
    manifest = target.read_manifest()
    t = summary.lap("read target", t)
    change_files, changed = changes.snapshot() if changes else ([], None)
    trusted = (
        trust_changes
        and not verify
        and changed is not None
        and manifest is not None
        and changes.can_trust(target.url, target.manifest_id)
    )
    try:
        if trusted:
            local = rescan_dirs(root, manifest, changed, rules=rules)
        else:
            local = scan_site(
                root,
                rules=rules,
                cache_path=cache_path,
                progress=lambda n: report(_("已扫描 %(n)d 个文件……") % {"n": n}),
            )
    except OSError as exc:
        raise PublishError(_("读取站点目录失败：%(error)s") % {"error": exc}) from None
    if not local:
        raise PublishError(
            _("站点目录 %(path)s 是空的，拒绝发布（会删除目标上的全部内容）。") % {"path": root}
        )
    summary.scanned = "changes" if trusted else "walk"
    summary.lap("scan", t)
    if isinstance(target, LocalDirTarget):
        _publish_local(
            root, local, manifest, target, summary, dry_run=dry_run, report=report, grace=retire_grace
        )
    else:
        _publish_store(
            root,
            local,
            manifest,
            target,
            summary,
            dry_run=dry_run,
            verify=verify,
            workers=workers,
            report=report,
            grace=retire_grace,
            guard=guard,
        )
        summary.requests = sum(target.requests.values())
        summary.write_requests = target.write_requests
    if changes and not dry_run:
        # the target's manifest now describes this tree: the log restarts from here
        try:
            changes.mark_published(target.url, target.manifest_id, walked=not trusted)
            ChangeLog.consume(change_files)
        except OSError:
            pass  # the next publish walks the tree


def rollback(target: LocalDirTarget, *, lock_timeout: float = DEFAULT_TIMEOUT) -> str:
    """Point the live link at the previous release; returns its name."""
    if not isinstance(target, LocalDirTarget):
        raise PublishError(_("只有本地目录发布支持回滚；对象存储请重新发布上一版本的站点目录。"))
    target.check()
    with exclusive(target, timeout=lock_timeout):
        return target.rollback().name


# ---------------------------------------------------------------------------


def _fill(summary: PublishSummary, plan: Plan, local: Manifest) -> None:
    summary.uploads = plan.uploads
    summary.deletes = plan.deletes
    summary.unchanged = len(plan.unchanged)
    summary.bytes_sent = plan.upload_bytes


def _publish_local(
    root: Path,
    local: Manifest,
    manifest: Manifest | None,
    target: LocalDirTarget,
    summary,
    *,
    dry_run,
    report,
    grace,
) -> None:
    dest = target.dest
    if dest == root or root in dest.parents or (dest.is_symlink() and dest.resolve() == root):
        raise PublishError(_("发布目录不能是站点目录本身或位于其中：%(path)s") % {"path": dest})
    remote: Manifest = {rel: e for rel, (e, _since) in target.info.retired.items()}
    remote.update(manifest or {})
    plan = make_plan(local, remote)
    retired = retire_hashed(plan, remote, target.info.retired, now=time.time(), grace=grace)
    _fill(summary, plan, local)
    summary.retired = len(retired)
    current = target.current_release()
    if dry_run or (plan.empty and current is not None and retired == target.info.retired):
        summary.release = current.name if current else None
        return
    # The keyed store goes on describing the releases when it described the one live until now.
    continuous = (current is not None and target.store_manifest_id() is not None
                  and target.releases()[-1] == current)
    _commit_local(root, local, plan, retired, target, current, report, summary)
    target.store().replace(local, retired, release=summary.release, mid=target.manifest_id,
                           releases=[r.name for r in target.releases()],
                           changed=[*plan.uploads, *plan.deletes] if continuous else None)


def _commit_local(root: Path, local: Manifest, plan, retired: Retired, target: LocalDirTarget,
                  current: Path | None, report, summary) -> None:
    """Make the new release from the whole site's manifest (the oldest release recycled, or a
    fresh one linking every unchanged file) and switch to it."""
    recycled = target.recycle()
    if recycled is not None:
        # The oldest release becomes the new one: only what differs from it is written.
        work, held = recycled
        wanted = {**{rel: e for rel, (e, _since) in retired.items()}, **local}
        for rel in held.keys() - wanted.keys():
            target.remove(work, rel)
        stale = [rel for rel, e in wanted.items() if held.get(rel) != e]
        for done, rel in enumerate(stale, 1):
            if rel in local:
                target.copy_in(work, rel, root / rel)
            else:  # a retired hashed file: from the live release
                target.link_unchanged(work, [rel], current, root)
            report(_("已复制 %(done)d/%(total)d 个文件……") % {"done": done, "total": len(stale)})
        summary.release = target.commit(work, local, retired).name
        return
    work = target.begin()
    total = len(plan.uploads)
    for done, rel in enumerate(plan.uploads, 1):
        target.copy_in(work, rel, root / rel)
        report(_("已复制 %(done)d/%(total)d 个文件……") % {"done": done, "total": total})
    if current is not None:
        # retired hashed files ride along in the new release until their grace period ends
        uploaded = set(plan.uploads)
        target.link_unchanged(work, [*(rel for rel in local if rel not in uploaded), *retired], current, root)
    summary.release = target.commit(work, local, retired).name


def _publish_local_changes(root: Path, changed: set[str], target: LocalDirTarget, summary, t: float, *,
                           dry_run: bool, rules: HeaderRules | None, report, grace: float) -> None:
    """A directory publish from the builds' change log, in proportion to the change (ADR 0144):
    the store's entries of the directories the builds named, compared with those directories on
    disk; the oldest release brought up to date through the journals since it; the store's
    changed rows written. No whole-site manifest is read or written."""
    store = target.store()
    named = {p.strip("/") for p in changed if p.strip("/")}
    dirs = {p.rpartition("/")[0] for p in named}
    remote_here = store.in_dirs(dirs)
    try:
        local = rescan_dirs(root, remote_here, named, rules=rules)
    except OSError as exc:
        raise PublishError(_("读取站点目录失败：%(error)s") % {"error": exc}) from None
    summary.scanned = "changes"
    t = summary.lap("scan", t)
    old_retired = store.retired()
    target.info = ManifestInfo(id=target.manifest_id, retired=old_retired)
    remote: Manifest = {rel: e for rel, (e, _since) in old_retired.items()}
    remote.update(remote_here)
    plan = make_plan(local, remote)
    retired = retire_hashed(plan, remote, old_retired, now=time.time(), grace=grace)
    _fill(summary, plan, local)
    summary.retired = len(retired)
    current = target.current_release()
    if dry_run or plan.empty and retired == old_retired:
        summary.release = current.name if current else None
        return
    uploads = set(plan.uploads)
    deletes = set(plan.deletes)
    recycled = target.recycle_journaled()
    if recycled is None:
        # Too few releases yet, or a journal missing: make it from the whole manifest, once.
        whole = store.manifest()
        for rel in [r for r in whole if r.rpartition("/")[0] in dirs or r in deletes]:
            del whole[rel]
        whole.update(local)
        _commit_local(root, whole, plan, retired, target, current, report, summary)
        target.store().replace(whole, retired, release=summary.release, mid=target.manifest_id,
                               releases=[r.name for r in target.releases()], changed=uploads | deletes)
        return
    work, since = recycled
    stale = sorted(since | uploads | deletes)
    for done, rel in enumerate(stale, 1):
        if rel in uploads:
            target.copy_in(work, rel, root / rel)
        elif rel in local or rel in retired or (rel not in deletes and rel.rpartition("/")[0] not in dirs
                                               and store.has(rel)):
            target.link_unchanged(work, [rel], current, root)  # as the live release holds it
        else:
            target.remove(work, rel)
        report(_("已复制 %(done)d/%(total)d 个文件……") % {"done": done, "total": len(stale)})
    summary.release = target.commit(work, None, retired).name
    store.apply(local, [rel for rel in deletes if rel not in local], retired, release=summary.release,
                mid=target.manifest_id, changed=uploads | deletes, releases=[r.name for r in target.releases()])
    summary.lap("switch", t)


def _publish_store(
    root: Path,
    local: Manifest,
    manifest: Manifest | None,
    target: S3Target,
    summary,
    *,
    dry_run,
    verify,
    workers,
    report,
    grace,
    guard=_no_guard,
) -> None:
    t = time.monotonic()
    journal = target.read_journal()
    if journal is not None and target.journal_run and target.journal_run == target.info.run:
        journal = None  # the manifest names the run that wrote the journal: that run completed
    # retired hashed files are on the target too, so they take part in the comparison
    remote: Manifest = {rel: e for rel, (e, _since) in target.info.retired.items()}
    remote.update(manifest or {})
    dirty: set[str] = set(journal or ())
    summary.resumed = bool(journal)
    if verify or journal == {} or target.manifest_damaged:  # asked for, or records unreadable: check all
        observed = target.list_objects()
        dirty |= set(observed) | set(remote)
    elif len(dirty) > HEAD_LIMIT:
        listed = target.list_objects()
        observed = {rel: listed[rel] for rel in dirty if rel in listed}
    else:
        observed = _head_all(target, sorted(dirty), workers)
    t = summary.lap("read target", t)
    remote = reconcile(remote, journal or {}, dirty, observed)
    plan = make_plan(local, remote)
    retired = retire_hashed(plan, remote, target.info.retired, now=time.time(), grace=grace)
    _fill(summary, plan, local)
    summary.retired = len(retired)
    t = summary.lap("plan", t)
    if dry_run:
        return
    run = uuid.uuid4().hex
    guard()
    if plan.empty:  # the objects are right; make the records say so
        if manifest != local or journal is not None or retired != target.info.retired:
            target.write_manifest(
                local, run=target.journal_run if journal is not None else run, retired=retired
            )
        return
    # What this run may change, and what a killed earlier run may have changed, until sealed.
    planned: dict[str, Entry | None] = {rel: remote.get(rel) for rel in dirty}
    planned.update({rel: local[rel] for rel in plan.uploads})
    planned.update(dict.fromkeys(plan.deletes))
    target.write_journal(planned, run)
    sent = 0
    total = len(plan.uploads)
    for wave in plan.waves:
        if not wave:
            continue
        guard()

        def on_done(_rel: str) -> None:
            nonlocal sent
            sent += 1
            report(_("已上传 %(done)d/%(total)d 个对象……") % {"done": sent, "total": total})

        _run_concurrently(wave, lambda rel: target.upload(rel, root / rel, local[rel]), workers, on_done)
    t = summary.lap("upload", t)
    guard()
    if plan.deletes:
        report(_("正在删除 %(n)d 个已撤下的对象……") % {"n": len(plan.deletes)}, force=True)
        target.delete(plan.deletes)
    t = summary.lap("delete", t)
    guard()
    target.write_manifest(local, run=run, retired=retired)  # last: completes the journal too
    summary.lap("seal", t)


def reconcile(
    remote: Manifest, journal: dict[str, Entry | None], dirty: set[str], observed: dict[str, Observed]
) -> Manifest:
    """The manifest corrected for paths whose state is uncertain, from what the store reports."""
    fixed = dict(remote)
    for rel in dirty:
        obs = observed.get(rel)
        if obs is None:
            fixed.pop(rel, None)
            continue
        planned, recorded = journal.get(rel), remote.get(rel)
        as_planned, as_recorded = obs.matches(planned), obs.matches(recorded)
        if as_planned and as_recorded and planned != recorded:
            as_planned = as_recorded = False  # a listing cannot tell the headers apart: resend
        if as_planned:
            fixed[rel] = planned
        elif as_recorded:
            fixed[rel] = recorded
        else:  # something else is there: it will be replaced, or deleted if the build lacks it
            fixed[rel] = Entry("?", obs.size, obs.content_type or "", obs.cache_control or "")
    return fixed


def _head_all(target: S3Target, rels: list[str], workers: int) -> dict[str, Observed]:
    if not rels:
        return {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(target.head, rels))
    return {rel: obs for rel, obs in zip(rels, results, strict=True) if obs is not None}


def _run_concurrently(items: list[str], fn: Callable[[str], None], workers: int, on_done) -> None:
    """Run ``fn`` over ``items`` on a thread pool; the first failure stops the rest and is raised."""
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        pending = set()
        it = iter(items)
        # keep a bounded number in flight so a failure stops the run quickly
        for rel in it:
            pending.add(pool.submit(_tagged, fn, rel))
            if len(pending) >= workers * 4:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    on_done(fut.result())
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                on_done(fut.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _tagged(fn: Callable[[str], None], rel: str) -> str:
    fn(rel)
    return rel
