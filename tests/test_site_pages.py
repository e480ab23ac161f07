"""Contributed pages (``site_generator.pages``): plain page sets rendered by the Django-free build.

A set's pages get the site's header and footer; an incremental build renders only the pages whose
version changed, removes or replaces ("tombstone") pages that left the set, and keeps the versions
in the build state, committed with the release (a failed build leaves nothing behind).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import markupsafe
import pytest

from cms.demo.sample import generate_sample
from site_generator.build import BuildError, build_site
from site_generator.pages import PageFeed, PageSet, PageSetError, PageSpec
from site_generator.plugins import BasePlugin
from tests.test_site_incremental import config, tree

TEMPLATE = '{% extends "base.html" %}{% block content %}<h1>{{ heading }}</h1><p>{{ text }}</p>{% endblock %}\n'
GONE = '{% extends "base.html" %}{% block content %}<p>{{ path }} 不再公开</p>{% endblock %}\n'


@pytest.fixture()
def records():
    return {r["id"]: r for r in generate_sample(docs=12, seed=5) if "op" not in r}


@pytest.fixture()
def cfg(tmp_path):
    templates = tmp_path / "module-templates"
    (templates / "demo").mkdir(parents=True)
    (templates / "demo" / "page.html").write_text(TEMPLATE, "utf-8")
    (templates / "demo" / "gone.html").write_text(GONE, "utf-8")
    return config(template_dirs=[templates])


def page(n: int, text: str = "正文") -> PageSpec:
    return PageSpec(f"demo/{n}/index.html", "demo/page.html",
                    {"heading": f"第{n}页", "text": text, "meta": {"title": f"第{n}页", "column": "政民互动"}})


def gone(path: str) -> PageSpec | None:
    if path.startswith("demo/list/"):
        return None
    return PageSpec(path, "demo/gone.html", {"path": path})


def demo_set(pages) -> PageSet:
    return PageSet("demo", list(pages), tombstone=gone)


def release(out) -> str:
    return os.path.basename(os.readlink(out))


def test_pages_get_the_sites_header_and_only_changed_pages_are_rendered_again(tmp_path, cfg, records):
    out = tmp_path / "site"
    pages = [page(n) for n in range(1, 6)]
    result = build_site(iter(records.values()), out, full=True, config=cfg, page_sets=[demo_set(pages)])
    assert result.pages_rendered == 5
    html = (out / "demo/3/index.html").read_text("utf-8")
    assert "<h1>第3页</h1>" in html and "<title>第3页 - " in html
    assert 'action="/search/"' in html and "<footer" in html  # the theme's header and footer
    first = release(out)

    # the same pages again: nothing to do, no release
    same = build_site(iter(records.values()), out, config=cfg, page_sets=[demo_set(pages)])
    assert same.release == first and same.pages_rendered == 0 and same.files_written == 0

    # one page changed, no document changed: one page rendered, a new release with just that file
    pages[2] = page(3, "修改后的正文")
    result = build_site([], out, config=cfg, changed_ids=set(), page_sets=[demo_set(pages)])
    assert result.release != first and release(out) == result.release
    assert result.pages_rendered == 1 and result.changed_paths == ["demo/3/index.html"]
    assert "修改后的正文" in (out / "demo/3/index.html").read_text("utf-8")


def test_a_large_set_renders_only_the_changed_page(tmp_path, cfg, records):
    """5,000 pages with lazy contexts: an incremental build asks for the context of the changed page only."""
    asked: list[int] = []

    def lazy(n: int, edition: int) -> PageSpec:
        def context() -> dict:
            asked.append(n)
            return {"heading": f"第{n}页", "text": f"第{edition}版"}
        return PageSpec(f"demo/{n}/index.html", "demo/page.html", context, version=str(edition))

    editions = dict.fromkeys(range(5000), 1)
    out = tmp_path / "site"
    build_site(iter(records.values()), out, full=True, config=cfg,
               page_sets=[PageSet("demo", [lazy(n, e) for n, e in editions.items()])])
    assert len(asked) == 5000
    asked.clear()
    editions[4321] = 2
    result = build_site([], out, config=cfg, changed_ids=set(),
                        page_sets=[PageSet("demo", (lazy(n, e) for n, e in editions.items()))])
    assert asked == [4321] and result.pages_rendered == 1
    assert result.changed_paths == ["demo/4321/index.html"]
    assert "第2版" in (out / "demo/4321/index.html").read_text("utf-8")


def _note_pid(log: Path) -> None:
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")


class _Text(str):
    """A page's text (plain data: a ``str``) that notes which process rendered it: the template's
    autoescape calls ``__html__``."""

    log: Path

    def __html__(self) -> str:
        _note_pid(self.log)
        return str(markupsafe.escape(str(self)))


class _Opaque:
    """A page's text that is not plain data (an object, as a model instance would be): ``str`` is
    what the template calls."""

    def __init__(self, text: str, log: Path):
        self.text, self.log = text, log

    def __str__(self) -> str:
        _note_pid(self.log)
        return self.text


def test_a_full_build_renders_pages_in_worker_processes_byte_for_byte_as_one_process(tmp_path, cfg, records):
    """Thousands of service guides are rendered by the full build's worker processes: the site, the
    placed forms and the feed equal a one-process build's; pages with a lazy context (which may read
    the CMS database) stay in the build's own process."""
    store = tmp_path / "store"
    blank = b"%PDF-1.4 blank form"
    sha = hashlib.sha256(blank).hexdigest()
    (store / sha[:2]).mkdir(parents=True)
    (store / sha[:2] / sha).write_bytes(blank)
    form = {"sha256": sha, "file": "表格.pdf", "type": "pdf"}
    log, opaque_log = tmp_path / "rendered-by", tmp_path / "opaque-rendered-by"

    def text(n: int) -> _Text:
        t = _Text(f"办事指南{n}")
        t.log = log
        return t

    def pages() -> list[PageSet]:
        plain = [PageSpec(f"guides/{n}/index.html", "demo/page.html",
                          {"heading": f"第{n}项", "text": text(n), "meta": {"title": f"第{n}项"}},
                          version="1", files=(form,) if n % 7 == 0 else (),
                          feed={"title": f"第{n}项", "published": f"2024-01-{n % 28 + 1:02d}T08:00:00+08:00"})
                 for n in range(450)]
        lazy = [PageSpec(f"lazy/{n}/index.html", "demo/page.html", lambda n=n: {"heading": f"延迟{n}", "text": "正文"},
                         version="1") for n in range(3)]
        opaque = [PageSpec(f"opaque/{n}/index.html", "demo/page.html",
                           {"heading": f"对象{n}", "text": _Opaque(f"正文{n}", opaque_log)}, version="1")
                  for n in range(400)]
        return [PageSet("guides", plain, feed=PageFeed("guides/", "办事指南")), PageSet("lazy", lazy),
                PageSet("opaque", opaque)]

    built = {}
    for procs in (1, 2):
        log.unlink(missing_ok=True)
        opaque_log.unlink(missing_ok=True)
        out = tmp_path / f"site-{procs}"
        result = build_site(iter(records.values()), out, full=True, page_sets=pages(),
                            config=config(template_dirs=cfg.template_dirs, files_dir=store, processes=procs))
        built[procs] = (tree(out), result.pages_rendered, result.files_written, result.bytes_written,
                        set(log.read_text().split()), set(opaque_log.read_text().split()))
    one, two = built[1], built[2]
    assert one[0] == two[0]  # every file, byte for byte: pages, forms, feeds, documents, lists
    assert one[1:4] == two[1:4] and one[1] == 853  # pages rendered, files and bytes written
    assert f"files/{sha[:2]}/{sha[2:16]}/表格.pdf" in two[0] and "guides/atom.xml" in two[0]
    assert one[4] == {str(os.getpid())}
    assert two[4] and str(os.getpid()) not in two[4]  # the plain pages were rendered by the workers
    # an object in a context (a model instance could query the CMS's database from a fork): here
    assert one[5] == two[5] == {str(os.getpid())}


def test_pages_that_leave_the_set_are_replaced_by_a_tombstone_or_deleted(tmp_path, cfg, records):
    out = tmp_path / "site"
    listing = PageSpec("demo/list/2/index.html", "demo/page.html", {"heading": "列表第2页", "text": ""})
    build_site(iter(records.values()), out, full=True, config=cfg,
               page_sets=[demo_set([page(1), page(2), listing])])

    result = build_site([], out, config=cfg, changed_ids=set(), page_sets=[demo_set([page(1)])])
    assert sorted(result.changed_paths) == ["demo/2/index.html", "demo/list/2/index.html"]
    assert "demo/2/index.html 不再公开" in (out / "demo/2/index.html").read_text("utf-8")
    assert not (out / "demo/list/2").exists()  # no tombstone for it: deleted

    # the tombstone stays, without being rendered again, and survives a full build
    again = build_site([], out, config=cfg, changed_ids=set(), page_sets=[demo_set([page(1)])])
    assert again.pages_rendered == 0 and again.release == result.release
    build_site(iter(records.values()), out, full=True, config=cfg, page_sets=[demo_set([page(1)])])
    assert "不再公开" in (out / "demo/2/index.html").read_text("utf-8")
    assert not (out / "demo/list/2").exists()

    # back in the set: the real page again
    build_site([], out, config=cfg, changed_ids=set(), page_sets=[demo_set([page(1), page(2)])])
    assert "<h1>第2页</h1>" in (out / "demo/2/index.html").read_text("utf-8")


def test_page_versions_are_committed_with_the_release(tmp_path, cfg, records):
    """A build that fails after rendering the pages leaves the live site and the page state as they
    were: the next build renders the change again (no state outside the build's own transaction)."""

    class Failing(BasePlugin):
        name = "failing"

        def on_render(self, ctx):
            raise RuntimeError("index full")

    out = tmp_path / "site"
    build_site(iter(records.values()), out, full=True, config=cfg, page_sets=[demo_set([page(1)])])
    live = release(out)
    failing = config(template_dirs=cfg.template_dirs, plugins=[Failing()])
    with pytest.raises(RuntimeError, match="index full"):
        build_site([], out, config=failing, changed_ids=set(), page_sets=[demo_set([page(1, "新")])])
    assert release(out) == live and "<p>新</p>" not in (out / "demo/1/index.html").read_text("utf-8")
    result = build_site([], out, config=cfg, changed_ids=set(), page_sets=[demo_set([page(1, "新")])])
    assert result.pages_rendered == 1 and "<p>新</p>" in (out / "demo/1/index.html").read_text("utf-8")


def test_a_set_not_given_is_left_as_it_is(tmp_path, cfg, records):
    out = tmp_path / "site"
    other = PageSet("other", [PageSpec("other/index.html", "demo/page.html", {"heading": "其他", "text": ""})])
    build_site(iter(records.values()), out, full=True, config=cfg, page_sets=[demo_set([page(1)]), other])
    result = build_site([], out, config=cfg, changed_ids=set(), page_sets=[demo_set([page(1), page(2)])])
    assert result.changed_paths == ["demo/2/index.html"]
    assert (out / "other/index.html").exists()
    # a build without page sets (the generator used on its own) leaves all of them
    moved = dict(records)
    doc = next(iter(moved.values()))
    moved[doc["id"]] = {**doc, "title": doc["title"] + "（修订）"}
    build_site(iter(moved.values()), out, config=cfg)
    assert (out / "other/index.html").exists() and (out / "demo/2/index.html").exists()


def test_full_and_incremental_builds_with_page_sets_are_identical(tmp_path, cfg, records):
    out = tmp_path / "live" / "site"
    build_site(iter(records.values()), out, full=True, config=cfg, page_sets=[demo_set([page(1), page(2)])])
    final = [page(1, "新"), page(3)]
    build_site(iter(records.values()), out, config=cfg, page_sets=[demo_set(final)])
    ref = tmp_path / "ref" / "site"
    build_site(iter(records.values()), ref, full=True, config=cfg, page_sets=[demo_set(final)])
    got, want = tree(out), tree(ref)
    # the tombstone of page 2 is the one difference: the reference never had page 2
    assert set(got) - set(want) == {"demo/2/index.html"} and set(want) <= set(got)
    assert {p for p in want if got[p] != want[p]} == set()


def test_a_page_change_alone_runs_the_plugins_with_an_empty_change_set(tmp_path, cfg, records):
    calls = []

    class Recording(BasePlugin):
        name = "recording"

        def on_render(self, ctx):
            calls.append(("render", ctx.full, list(ctx.records), set(ctx.removed_ids)))

        def on_live(self, ctx):
            calls.append(("live", ctx.changed_paths))

    with_plugin = config(template_dirs=cfg.template_dirs, plugins=[Recording()])
    out = tmp_path / "site"
    build_site(iter(records.values()), out, full=True, config=with_plugin, page_sets=[demo_set([page(1)])])
    calls.clear()
    build_site([], out, config=with_plugin, changed_ids=set(), page_sets=[demo_set([page(1)])])
    assert calls == []  # nothing changed: no release, no plugin event
    build_site([], out, config=with_plugin, changed_ids=set(), page_sets=[demo_set([page(1), page(2)])])
    assert calls == [("render", False, [], set()), ("live", ["demo/2/index.html"])]


def test_wrong_page_sets_fail_the_build_with_a_clear_message(tmp_path, cfg, records):
    out = tmp_path / "site"
    with pytest.raises(PageSetError, match="页面路径无效"):
        PageSpec("/demo/index.html", "demo/page.html", {})
    with pytest.raises(PageSetError, match="页面路径无效"):
        PageSpec("demo/../../etc/passwd", "demo/page.html", {})
    with pytest.raises(PageSetError, match="必须给出 version"):
        PageSpec("demo/index.html", "demo/page.html", dict)
    twice = [demo_set([page(1)]), PageSet("again", [page(1)])]
    with pytest.raises(BuildError, match="demo/1/index.html 在页面集 demo 和 again 中重复"):
        build_site(iter(records.values()), out, full=True, config=cfg, page_sets=twice)
    not_plain = PageSet("x", [PageSpec("x/index.html", "demo/page.html", {"heading": object()})])
    with pytest.raises(BuildError, match="不是纯数据"):
        build_site(iter(records.values()), out, full=True, config=cfg, page_sets=[not_plain])
    assert not out.exists()  # nothing went live
