"""Contributed pages in the search index and in feeds (``PageSpec.search``/``feed``, ``PageSet.feed``).

A page set can give each page a search record and a feed entry; the build hands the records of
the pages it renders to the plugins (the search index indexes them with the documents) and
writes the set's RSS and Atom feeds. An incremental build after one page changed gives the same
search answers and the same feed as a full build.
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import etree

from cms.demo.sample import generate_sample
from search_index.plugin import SearchIndexPlugin
from search_index.query import Query, SearchIndex
from site_generator.build import BuildError, build_site
from site_generator.pages import PageFeed, PageSet, PageSetError, PageSpec
from tests.test_site_build import SCHEMAS, _check_atom_schematron
from tests.test_site_incremental import config

TEMPLATE = '{% extends "base.html" %}{% block content %}<h1>{{ heading }}</h1>{% endblock %}\n'
NAMES = {1: "城乡居民养老保险参保登记", 2: "残疾人两项补贴申领", 3: "建设工程规划许可证核发"}


@pytest.fixture()
def records():
    return [r for r in generate_sample(docs=12, seed=5) if "op" not in r]


@pytest.fixture()
def cfg(tmp_path):
    templates = tmp_path / "module-templates"
    (templates / "svc").mkdir(parents=True)
    (templates / "svc" / "page.html").write_text(TEMPLATE, "utf-8")
    return config(template_dirs=[templates], plugins=[SearchIndexPlugin()])


def page(n: int, name: str | None = None, material: str = "身份证原件", searchable: bool = True) -> PageSpec:
    name = name or NAMES[n]
    when = f"2026-0{n}-0{n}T09:00:00+08:00"
    return PageSpec(f"svc/{n}/index.html", "svc/page.html", {"heading": name, "meta": {"title": name}},
                    search={"title": name, "body_html": f"<p>申请材料：{material}</p>", "organ": "人社局",
                            "category": "办事指南", "published": when} if searchable else None,
                    feed={"title": name, "published": when, "summary": f"{name}的办事指南", "author": "人社局"})


def svc_set(pages) -> PageSet:
    return PageSet("svc", list(pages), feed=PageFeed("svc/", "办事指南"))


def search(out: Path, q: str, **kw) -> list[str]:
    return [r["url"] for r in SearchIndex(out).search(Query(q=q, **kw)).results]


def build(records, out, state, cfg, pages, **kw):
    return build_site(iter(records), out, config=cfg, state_dir=state, page_sets=[svc_set(pages)], **kw)


def test_page_search_records_are_found_next_to_the_documents(tmp_path, cfg, records):
    out = tmp_path / "site"
    build(records, out, tmp_path / "state", cfg, [page(n) for n in (1, 2, 3)], full=True)
    assert search(out, "养老保险参保") == ["/svc/1/"]
    assert search(out, "身份证原件", category="办事指南") == ["/svc/3/", "/svc/2/", "/svc/1/"]  # newest first
    doc = records[0]
    assert f"/{doc['id']}.html" in "".join(search(out, doc["title"]))  # the documents are still there


def test_one_page_changed_incremental_equals_full_for_search_and_feed(tmp_path, cfg, records):
    out, state = tmp_path / "site", tmp_path / "state"
    build(records, out, state, cfg, [page(n) for n in (1, 2, 3)], full=True)
    changed = [page(1), page(2, "困难残疾人生活补贴申领", material="残疾人证"), page(3, searchable=False)]
    result = build([], out, state, cfg, changed, changed_ids=set())
    assert result.pages_rendered == 2 and not result.full
    assert search(out, "困难残疾人生活补贴") == ["/svc/2/"]
    assert search(out, "两项补贴") == []
    assert search(out, "规划许可证") == []  # page 3 has no search record any more
    assert "svc/rss.xml" in result.changed_paths and "svc/atom.xml" in result.changed_paths
    # a page that leaves the set leaves the search index and the feed
    result = build([], out, state, cfg, changed[:2], changed_ids=set())
    assert "svc/3/index.html" in result.changed_paths
    ref = tmp_path / "ref"
    build(records, ref, tmp_path / "ref-state", cfg, changed[:2], full=True)
    for q in ("困难残疾人生活补贴", "养老保险", "身份证原件", "残疾人证", "规划许可证", records[3]["title"]):
        assert search(out, q) == search(ref, q), q
    for name in ("svc/rss.xml", "svc/atom.xml"):
        assert (out / name).read_bytes() == (ref / name).read_bytes()


def test_a_build_that_changes_no_page_leaves_the_feed_alone(tmp_path, cfg, records):
    out, state = tmp_path / "site", tmp_path / "state"
    pages = [page(n) for n in (1, 2, 3)]
    build(records, out, state, cfg, pages, full=True)
    result = build([], out, state, cfg, pages, changed_ids=set())
    assert result.changed_paths == [] and result.pages_rendered == 0


def test_the_sets_feed_holds_its_newest_entries_and_validates(tmp_path, cfg, records):
    out = tmp_path / "site"
    build(records, out, tmp_path / "state", cfg, [page(n) for n in (1, 2, 3)], full=True)
    rng = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    root = etree.parse(str(out / "svc/atom.xml"))
    assert rng.validate(root), rng.error_log.last_error
    _check_atom_schematron(root.getroot())
    for name in ("atom.xml", "rss.xml"):
        parsed = feedparser.parse((out / "svc" / name).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert [e.title for e in parsed.entries] == [NAMES[3], NAMES[2], NAMES[1]]
        assert parsed.entries[0].link.endswith("/svc/3/")
        assert "办事指南" in parsed.feed.title


def test_a_feed_entry_without_a_valid_time_fails_the_build_with_a_message(tmp_path, cfg, records):
    bad = PageSpec("svc/9/index.html", "svc/page.html", {"heading": "x"}, feed={"title": "x", "published": "昨天"})
    with pytest.raises(BuildError, match="svc/9/"):
        build(records, tmp_path / "site", tmp_path / "state", cfg, [bad], full=True)
    with pytest.raises(PageSetError):
        PageFeed("svc", "办事指南")
