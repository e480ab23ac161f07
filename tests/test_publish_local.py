"""Publishing to a local directory: releases side by side, one atomic symlink swap, rollback."""

from __future__ import annotations

import os

import pytest

from publish.errors import PublishError
from publish.runner import publish, rollback
from publish.targets import LocalDirTarget, S3Target, Target, open_target
from tests.test_publish_sites import SITE_FILES_V1, change_one_document, write_site


def read_tree(root) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".govsite")
    }


def test_directory_deploy_swaps_atomically_and_rolls_back(tmp_path):
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "www" / "site"
    dest.parent.mkdir()
    target = open_target(str(dest))

    first = publish(site, target)
    assert dest.is_symlink() and read_tree(dest) == SITE_FILES_V1
    assert len(first.uploads) == len(SITE_FILES_V1)
    v1_release = dest.resolve()
    # a reader that started on v1 (a web server holding the old root) keeps a whole v1 tree
    held = open(v1_release / "docs" / "2" / "index.html")

    v2 = change_one_document(SITE_FILES_V1)
    del v2["docs/3/index.html"]
    write_site(site, v2)
    second = publish(site, LocalDirTarget(dest))

    assert sorted(second.uploads) == ["docs/2/index.html", "feed.xml", "list/index.html"]
    assert second.deletes == ["docs/3/index.html"]
    assert read_tree(dest) == v2
    assert dest.resolve() != v1_release and read_tree(v1_release) == SITE_FILES_V1
    seen_by_old_reader = held.read()
    held.close()
    assert "开展" in seen_by_old_reader and "深入" not in seen_by_old_reader
    # unchanged files are hard links to the previous release, not copies
    assert os.stat(dest / "docs/1/index.html").st_ino == os.stat(v1_release / "docs/1/index.html").st_ino
    assert os.stat(dest / "list/index.html").st_ino != os.stat(v1_release / "list/index.html").st_ino

    assert rollback(LocalDirTarget(dest)) == v1_release.name
    assert read_tree(dest) == SITE_FILES_V1
    with pytest.raises(PublishError, match="没有可回滚"):
        rollback(LocalDirTarget(dest))


def test_directory_deploy_keeps_a_bounded_number_of_releases(tmp_path):
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "site"
    for i in range(5):
        write_site(site, {**SITE_FILES_V1, "index.html": f"<p>第{i}版</p>"})
        publish(site, LocalDirTarget(dest, keep_releases=3))
    assert len(LocalDirTarget(dest).releases()) == 3
    assert (dest / "index.html").read_text() == "<p>第4版</p>"


def test_interrupted_directory_deploy_leaves_the_live_site_alone(tmp_path, monkeypatch):
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "site"
    publish(site, LocalDirTarget(dest))
    write_site(site, change_one_document(SITE_FILES_V1))

    calls = {"n": 0}
    real_copy = LocalDirTarget.copy_in

    def dying_copy(work, rel, src):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # killed half way
        real_copy(work, rel, src)

    monkeypatch.setattr(LocalDirTarget, "copy_in", staticmethod(dying_copy))
    with pytest.raises(KeyboardInterrupt):
        publish(site, LocalDirTarget(dest))
    assert read_tree(dest) == SITE_FILES_V1  # readers never saw a half-built release

    monkeypatch.setattr(LocalDirTarget, "copy_in", staticmethod(real_copy))
    publish(site, LocalDirTarget(dest))
    assert read_tree(dest) == change_one_document(SITE_FILES_V1)
    assert not list(LocalDirTarget(dest).releases_dir.glob(".tmp-*"))


def test_directory_dry_run_changes_nothing(tmp_path):
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "site"
    publish(site, LocalDirTarget(dest))
    release = dest.resolve()
    write_site(site, change_one_document(SITE_FILES_V1))

    summary = publish(site, LocalDirTarget(dest), dry_run=True)

    assert len(summary.uploads) == 3
    assert dest.resolve() == release and read_tree(dest) == SITE_FILES_V1
    assert len(LocalDirTarget(dest).releases()) == 1


def test_refuses_to_replace_a_directory_it_does_not_manage(tmp_path):
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "nginx-root"
    dest.mkdir()
    (dest / "old.html").write_text("旧站")
    with pytest.raises(PublishError, match="不是由本工具管理"):
        publish(site, LocalDirTarget(dest))
    assert (dest / "old.html").read_text() == "旧站"


def test_site_dir_that_is_a_symlink_to_a_release_is_resolved(tmp_path):
    """The builder's live site may itself be a symlink to a release directory."""
    release = write_site(tmp_path / "builds" / "r1", SITE_FILES_V1)
    live = tmp_path / "live"
    live.symlink_to(release)
    dest = tmp_path / "published"
    publish(live, LocalDirTarget(dest))
    assert read_tree(dest) == SITE_FILES_V1


def test_bad_targets_are_clear_errors(tmp_path):
    with pytest.raises(PublishError, match="缺少存储桶名"):
        open_target("s3://")
    with pytest.raises(PublishError, match="不支持的发布地址"):
        open_target("ftp://example.com/site")
    with pytest.raises(PublishError, match="站点目录 .* 不存在"):
        publish(tmp_path / "missing", LocalDirTarget(tmp_path / "out"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(PublishError, match="是空的"):
        publish(tmp_path / "empty", LocalDirTarget(tmp_path / "out"))


def test_hashed_assets_leaving_the_site_stay_in_the_release_for_a_grace_period(tmp_path):
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "site"
    publish(site, LocalDirTarget(dest))
    v2 = {k: v for k, v in SITE_FILES_V1.items() if k != "static/app.0a1b2c3d.js"}
    write_site(site, v2)

    summary = publish(site, LocalDirTarget(dest), retire_grace=3600)
    assert summary.retired == 1
    assert (dest / "static/app.0a1b2c3d.js").exists()  # a cached page may still load it
    publish(site, LocalDirTarget(dest), retire_grace=0)
    assert read_tree(dest) == v2


def test_both_kinds_of_target_satisfy_the_target_contract(tmp_path):
    """What any publish relies on (``publish.targets.Target``), for a directory and a bucket."""
    assert isinstance(open_target("s3://bucket/prefix"), S3Target)
    assert isinstance(open_target("s3://bucket/prefix"), Target)
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "www"
    target: Target = open_target(str(dest))
    assert isinstance(target, Target) and target.url == str(dest)
    assert target.read_manifest() is None and target.manifest_id is None  # nothing published yet
    publish(site, target)
    again: Target = open_target(str(dest))
    assert sorted(again.read_manifest()) == sorted(SITE_FILES_V1)
    assert again.manifest_id is not None and again.manifest_id == target.manifest_id



def test_a_release_the_next_commit_would_prune_is_brought_up_to_date_instead_of_linking_the_site(
        tmp_path, monkeypatch):
    """Once keep_releases releases exist, a publish rewrites only what differs in the oldest one
    (counted: no file of the site is linked, only the changed ones copied), and never writes
    through a hard link into the releases that stay (rollback shows the previous content)."""
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    dest = tmp_path / "www"
    versions = [dict(SITE_FILES_V1)]
    for n in range(1, 6):
        files = dict(versions[-1])
        files["docs/2/index.html"] = SITE_FILES_V1["docs/2/index.html"] + f"<p>第{n}次修订</p>"
        if n == 4:
            del files["docs/3/index.html"]
        if n == 5:  # unchanged since the first release: the oldest and the live one share its inode
            files["feed.xml"] += "<!-- 5 -->"
        versions.append(files)
    publish(site, LocalDirTarget(dest))
    for n in (1, 2):
        write_site(site, versions[n])
        publish(site, LocalDirTarget(dest))
    linked, copied = [], []
    real_link, real_copy = LocalDirTarget.link_unchanged, LocalDirTarget.copy_in
    monkeypatch.setattr(LocalDirTarget, "link_unchanged",
                        lambda self, work, rels, *a: linked.extend(rels) or real_link(self, work, rels, *a))
    monkeypatch.setattr(LocalDirTarget, "copy_in",
                        staticmethod(lambda work, rel, src: copied.append(rel) or real_copy(work, rel, src)))
    for n in (3, 4, 5):
        linked.clear()
        copied.clear()
        write_site(site, versions[n])
        summary = publish(site, LocalDirTarget(dest))
        assert linked == [] and copied and set(copied) <= {"docs/2/index.html", "feed.xml"}, (linked, copied)
        live = {p.relative_to(dest.resolve()).as_posix(): p.read_text("utf-8")
                for p in dest.resolve().rglob("*") if p.is_file() and not p.name.startswith(".govsite")}
        assert live == versions[n], n
        assert summary.release == dest.resolve().name
        assert len(LocalDirTarget(dest).releases()) == 3
    previous = rollback(LocalDirTarget(dest))
    assert "第4次修订" in (dest / "docs/2/index.html").read_text("utf-8") and previous
    assert not (dest / "docs/3/index.html").exists()
    assert (dest / "feed.xml").read_text("utf-8") == versions[4]["feed.xml"]  # not written through a link
