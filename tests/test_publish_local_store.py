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


def test_a_directorys_entries_are_read_without_reading_its_subdirectories(tmp_path):
    """A new document rewrites the home page, so the publish reads the entries of the root
    directory: the files directly in it, without reading the whole site under it (ADR 0162)."""
    from publish.manifest import Entry

    store = ManifestStore(tmp_path / "releases")
    names = ["index.html", "a-b.html", "a0.html", "a/index.html", "a/page/1.html", "a/b/c.html", "b/x.html",
             "zzz.xml", "list/index.html", "list/atom.xml"]
    names += [f"list/page/{n}.html" for n in range(3000)] + [f"a/{n:05d}.html" for n in range(1200)]
    store.replace({rel: Entry("0" * 32, 1, "text/html", "") for rel in names}, {}, release="r1", mid="m",
                  releases=["r1"])
    rows = 0

    class Counted:  # the store's connection, counting the rows its queries return
        def __init__(self, db):
            self.db = db

        def execute(self, *args):
            def stepped(cursor):
                nonlocal rows
                for row in cursor:
                    rows += 1
                    yield row

            return stepped(self.db.execute(*args))

    store.db = Counted(store.db)
    for dirs in ([""], ["a"], ["list", "list/page"], ["a/b", "missing"]):
        rows = 0
        got = store.in_dirs(dirs)
        want = {rel for rel in names for d in dirs if rel.rpartition("/")[0] == d}
        assert set(got) == want, dirs
        if dirs == [""]:
            assert rows <= 8, rows  # the root's files and one row per subdirectory stepped over, not 4,200
