"""A directory publish from the builds' change log costs what changed (ADR 0144): no whole-site
manifest is read or written, the oldest release is brought up to date through the journals, and
the published tree is always exactly the site; a rollback sends the next publish down the full
path, which is right too."""

from __future__ import annotations

import os
import random

from publish.changes import ChangeLog
from publish.runner import publish, rollback
from publish.store import ManifestStore
from publish.targets import LOCAL_MANIFEST, LocalDirTarget
from tests.test_publish_local import read_tree
from tests.test_publish_sites import SITE_FILES_V1, write_site


class CountingStore(ManifestStore):
    """The real store, counting whole-manifest reads (the cost this design removes)."""

    whole_reads = 0

    def manifest(self):
        CountingStore.whole_reads += 1
        return super().manifest()


def build(site, files, new_files, log):
    """What a site build does: write the new tree, report the paths it changed to the log."""
    changed = {p for p in set(files) | set(new_files) if files.get(p) != new_files.get(p)}
    write_site(site, new_files)
    log.record(sorted(changed))
    return new_files


def test_publishes_from_the_change_log_read_no_whole_manifest_and_stay_exact(tmp_path, monkeypatch):
    monkeypatch.setattr("publish.targets.ManifestStore", CountingStore)
    files = dict(SITE_FILES_V1)
    for n in range(40):
        files[f"docs/{n + 10}/index.html"] = f"<!doctype html><title>文件 {n}</title>"
    site = write_site(tmp_path / "build", files)
    dest = tmp_path / "www" / "site"
    dest.parent.mkdir()
    log = ChangeLog(tmp_path / "state" / "changes")
    log.record(None)  # a full build: the first publish walks
    first = publish(site, LocalDirTarget(dest), changes=log, trust_changes=True, retire_grace=0)
    assert first.scanned == "walk" and read_tree(dest) == files
    untouched = os.stat(dest / "docs/1/index.html").st_ino

    rng = random.Random(7)
    CountingStore.whole_reads = 0
    fast = 0
    for step in range(12):
        new = dict(files)
        pick = rng.choice(sorted(p for p in new if p.startswith("docs/") and p != "docs/1/index.html"))
        if step % 3 == 0:
            del new[pick]  # a withdrawal
        else:
            new[pick] = new[pick].replace("</title>", f"（第{step}次修改）</title>")
        new["list/index.html"] = files["list/index.html"] + f"<!-- {step} -->"
        new[f"static/app.{step:08x}.js"] = f"console.log({step})"  # a new hashed asset, the old one retired
        new.pop(f"static/app.{step - 1:08x}.js", None)
        files = build(site, files, new, log)
        summary = publish(site, LocalDirTarget(dest), changes=log, trust_changes=True, retire_grace=0)
        assert read_tree(dest) == files, step
        fast += summary.scanned == "changes"
        if step >= 3:  # the releases recycle now: the store alone describes them
            assert not (dest.resolve() / LOCAL_MANIFEST).exists()
    assert fast == 12
    # Only the first publishes, before there are releases to recycle, read the whole store.
    assert CountingStore.whole_reads <= 2
    # A file no publish touched is the same inode in every release: never copied, never relinked.
    assert os.stat(dest / "docs/1/index.html").st_ino == untouched

    # A rollback breaks the chain: the next publish walks the site and is right.
    rollback(LocalDirTarget(dest))
    new = dict(files, **{"docs/1/index.html": "<!doctype html><title>改过</title>"})
    files = build(site, files, new, log)
    summary = publish(site, LocalDirTarget(dest), changes=log, trust_changes=True, retire_grace=0)
    assert summary.scanned == "walk" and read_tree(dest) == files
    new = dict(files, **{"docs/2/index.html": "<!doctype html><title>再改</title>"})
    files = build(site, files, new, log)
    summary = publish(site, LocalDirTarget(dest), changes=log, trust_changes=True, retire_grace=0)
    assert summary.scanned == "changes" and read_tree(dest) == files
