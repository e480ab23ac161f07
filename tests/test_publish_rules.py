"""Headers, waves, manifests and the resume rules, without a network."""

from __future__ import annotations

import os

import pytest

from publish.headers import IMMUTABLE, HeaderRules, content_type, is_immutable
from publish.manifest import Entry, dump_manifest, load_manifest, scan_site
from publish.plan import make_plan, wave_of
from publish.runner import reconcile
from publish.targets import Observed


@pytest.mark.parametrize(
    ("path", "head", "expected"),
    [
        ("docs/1/index.html", b"", "text/html; charset=utf-8"),
        ("feed.xml", b'<?xml version="1.0"?><rss version="2.0">', "application/rss+xml; charset=utf-8"),
        ("atom.xml", b'<feed xmlns="http://www.w3.org/2005/Atom">', "application/atom+xml; charset=utf-8"),
        ("sitemaps/sitemap-3.xml", b"<urlset>", "application/xml; charset=utf-8"),
        ("static/app.3fa9c2d1.css", b"", "text/css; charset=utf-8"),
        ("static/app.3fa9c2d1.js", b"", "text/javascript; charset=utf-8"),
        ("search/meta.json", b"", "application/json; charset=utf-8"),
        ("search/shards/ab12cd34.bin", b"", "application/octet-stream"),
        ("files/附件.pdf", b"", "application/pdf"),
        ("static/font.a1b2c3d4.woff2", b"", "font/woff2"),
        ("robots.txt", b"", "text/plain; charset=utf-8"),
        ("LICENSE", b"", "application/octet-stream"),
    ],
)
def test_content_types(path, head, expected):
    assert content_type(path, head) == expected


@pytest.mark.parametrize(
    ("path", "immutable"),
    [
        ("static/app.3fa9c2d1.css", True),
        ("static/app.3fa9c2d1e5f6.min.js", True),
        ("static/app.css", False),
        ("search/shards/ab12cd34ef.bin", True),
        ("search/t-0a1b2c3d4e.json.gz", True),
        ("search/meta.json", False),
        ("search/idx/s/0a1b2c3d4e5f6a7b.bin", True),
        ("search/idx/s/m1778-afcb9e.bin", True),  # the search index's names
        ("search/idx/c/2485-fc84f0.bin", True),
        ("search/idx/s/m1778-9d5f574c-3.bin", True),  # shards and chunks named by epoch and generation
        ("search/idx/c/2485-9d5f574c-12.bin", True),
        ("search/idx/p/0f9f0b33.64-a22305.bin", True),
        ("search/idx/d/c.9-e9ba62.bin", True),
        ("search/idx/t/12.bin", False),
        ("search/idx/manifest.json", False),
        ("docs/12345678/index.html", False),  # a numeric directory is not a hashed name
        ("docs/deadbeef.html", False),  # no name before the hash: not an asset convention
    ],
)
def test_hashed_names_are_immutable(path, immutable):
    assert is_immutable(path) is immutable
    rules = HeaderRules(html_max_age=120)
    expected = (
        IMMUTABLE
        if immutable
        else ("public, max-age=120" if path.endswith(".html") else "public, max-age=300")
    )
    assert rules.cache_control(path) == expected


def entry(md5: str, path: str = "x.html", size: int = 10) -> Entry:
    return Entry(md5, size, content_type(path), HeaderRules().cache_control(path))


def test_plan_waves_put_links_after_their_targets():
    local = {
        p: entry("new", p)
        for p in [
            "index.html",
            "sitemap.xml",
            "feed.xml",
            "list/index.html",
            "docs/9/index.html",
            "static/app.11223344.css",
            "search/meta.json",
        ]
    }
    remote = {
        p: entry("old", p)
        for p in ["index.html", "sitemap.xml", "feed.xml", "list/index.html", "docs/8/index.html"]
    }
    plan = make_plan(local, remote)
    assert plan.waves == [
        ["static/app.11223344.css"],
        ["search/meta.json"],
        ["docs/9/index.html"],
        ["list/index.html"],
        ["feed.xml"],
        ["index.html", "sitemap.xml"],
    ]
    assert plan.deletes == ["docs/8/index.html"]
    assert wave_of("docs/9/index.html", is_new=False) == 3


def test_a_header_change_alone_resends_the_object():
    local = {"a.html": Entry("h", 1, "text/html; charset=utf-8", "public, max-age=60")}
    remote = {"a.html": Entry("h", 1, "text/html; charset=utf-8", "public, max-age=300")}
    assert make_plan(local, remote).uploads == ["a.html"]


def test_reconcile_trusts_only_what_the_store_confirms():
    old, new = entry("0" * 32, "a.html"), entry("1" * 32, "a.html")
    remote = {"a.html": old, "b.html": old, "c.html": old, "d.html": old, "untouched.html": old}
    journal = {"a.html": new, "b.html": new, "c.html": None, "d.html": new, "e.html": new}
    observed = {
        "a.html": Observed(new.md5, new.size),  # the killed run got there
        "b.html": Observed(old.md5, old.size),  # ... not there yet
        "d.html": Observed("f" * 32, 3),  # something else entirely
        "e.html": Observed(new.md5, new.size),  # a new page the killed run uploaded
        # c.html is gone (the killed run deleted it)
    }
    fixed = reconcile(remote, journal, set(journal), observed)
    assert fixed["a.html"] == new and fixed["b.html"] == old and fixed["e.html"] == new
    assert "c.html" not in fixed
    assert fixed["d.html"].md5 == "?"
    assert fixed["untouched.html"] == old


def test_manifest_round_trip():
    manifest = {
        "a.html": entry("a" * 32, "a.html"),
        "s/x.12345678.js": entry("b" * 32, "s/x.12345678.js", 99),
    }
    assert load_manifest(dump_manifest(manifest)) == manifest


def test_scan_reuses_hashes_of_files_whose_stat_did_not_change(tmp_path):
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs/a.html").write_text("一")
    (site / ".govsite-manifest.json.gz").write_bytes(b"ours, never published")
    cache = tmp_path / "cache.json"
    first = scan_site(site, cache_path=cache)
    assert list(first) == ["docs/a.html"]

    # same size and mtime: the cached hash is used (the file is not read again) ...
    st = os.stat(site / "docs/a.html")
    (site / "docs/a.html").write_text("二")
    os.utime(site / "docs/a.html", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert scan_site(site, cache_path=cache)["docs/a.html"].md5 == first["docs/a.html"].md5
    # ... a new mtime makes it hash again
    os.utime(site / "docs/a.html", ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    assert scan_site(site, cache_path=cache)["docs/a.html"].md5 != first["docs/a.html"].md5


def test_rescan_reads_only_the_directories_the_builds_named(tmp_path):
    from publish.manifest import rescan_dirs

    site = tmp_path / "site"
    (site / "search").mkdir(parents=True)
    (site / "docs" / "1").mkdir(parents=True)
    files = {"index.html": "首页", "search/old.aaaaaaaa.bin": "旧索引", "docs/1/index.html": "文件一"}
    for rel, text in files.items():
        (site / rel).write_text(text)
    published = scan_site(site)  # the tree as the target's manifest describes it

    (site / "index.html").write_text("首页（新）")  # named by the build
    (site / "search/new.bbbbbbbb.bin").write_text("新索引")  # named by the build
    (site / "search/old.aaaaaaaa.bin").unlink()  # a sibling deleted without being reported
    (site / "search/also.cccccccc.bin").write_text("另一个新分片")  # a sibling added without being reported
    (site / "docs/1/index.html").write_text("文件一（手工改动）")  # elsewhere, not reported

    now = rescan_dirs(site, published, ["index.html", "search/new.bbbbbbbb.bin"])
    assert sorted(now) == [
        "docs/1/index.html",
        "index.html",
        "search/also.cccccccc.bin",
        "search/new.bbbbbbbb.bin",
    ]
    assert now["index.html"].md5 != published["index.html"].md5
    assert now["docs/1/index.html"] == published["docs/1/index.html"]  # its directory was not read
    assert scan_site(site)["docs/1/index.html"].md5 != published["docs/1/index.html"].md5  # a walk sees it


def test_change_log_is_trusted_only_for_the_manifest_it_follows(tmp_path, monkeypatch):
    import publish.changes as changes_module
    from publish.changes import ChangeLog

    log = ChangeLog(tmp_path / "changes")
    assert not log.can_trust("s3://b/www", "m1")  # never published
    log.mark_published("s3://b/www", "m1", walked=True)
    assert log.can_trust("s3://b/www", "m1")
    assert not log.can_trust("s3://b/www", "m2")  # someone else wrote the manifest since
    assert not log.can_trust("s3://other/www", "m1")  # another target
    log.mark_published("s3://b/www", "m2", walked=False)
    assert log.can_trust("s3://b/www", "m2")
    monkeypatch.setattr(changes_module, "WALK_EVERY_SECONDS", -1)
    assert not log.can_trust("s3://b/www", "m2")  # a daily walk is due


def test_change_log_collapses_when_nobody_publishes(tmp_path, monkeypatch):
    import publish.changes as changes_module
    from publish.changes import ChangeLog

    monkeypatch.setattr(changes_module, "MAX_RECORDS", 5)
    log = ChangeLog(tmp_path / "changes")
    log.record(["a.html"])
    log.record(["b/index.html"])
    files, paths = log.snapshot()
    assert len(files) == 2 and paths == {"a.html", "b/index.html"}
    for i in range(6):
        log.record([f"d/{i}.html"])
    files, paths = log.snapshot()
    assert len(files) <= 5 and paths is None  # collapsed: walk everything next time
    log.consume(files)
    assert log.snapshot() == ([], set())
