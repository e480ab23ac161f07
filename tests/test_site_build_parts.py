"""A full build whose render processes read the records themselves, part by part (issue 19 item 4):
``site_generator.build.PartedRecords``, the database's ``cms.build.jobs.DatabaseRecords``.

The main process reads only the summaries; the records never pass through it. What is published
must not depend on it: the same records read in one stream (any other build) give the same files,
the same build state and the same records for the plugins, whether the parts are read in forked
processes or, where forking is refused (inside a transaction), in the main process.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import orjson
import pytest

from cms.build import jobs
from cms.demo.sample import generate_sample
from cms.exchange.exporter import iter_document_records
from cms.exchange.importer import import_records
from site_generator.build import build_site
from site_generator.plugins import BasePlugin
from tests.test_site_build import small_config

SUMMARY = ("id", "site", "organ", "title", "published", "category", "topic", "interprets", "replaced_by")


class ListParts:
    """A ``PartedRecords`` over a list; every process that reads a part notes its pid in ``log``."""

    def __init__(self, records: list[dict], log: Path, *, fork: bool = True, size: int = 7):
        self.records, self.log, self.fork, self.size = records, log, fork, size

    def __iter__(self):
        return iter(self.records)

    def parts(self) -> list[range]:
        return [range(i, min(i + self.size, len(self.records))) for i in range(0, len(self.records), self.size)]

    def organs(self):
        return [(site, organ, n) for (site, organ), n in Counter((r["site"], r.get("organ")) for r in self.records).items()]

    def related_summaries(self):
        wanted = set(self.related())
        return ({k: r.get(k) for k in SUMMARY} for r in self.records if r["id"] in wanted)

    def read_part(self, part: range):
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return (self.records[i] for i in part)

    def before_fork(self) -> bool:
        return self.fork

    def related(self):
        for r in self.records:
            if r.get("interprets"):
                yield from (r["id"], r["interprets"])
            if r.get("replaced_by"):
                yield r["replaced_by"]


class Collect(BasePlugin):
    """Keeps the records a full build hands to the plugins (the search index reads them)."""

    name = "collect"

    def __init__(self):
        self.records: list[dict] = []

    def on_render(self, ctx) -> None:
        self.records = list(ctx.records)
        ctx.write_file("extra/gone.txt", "删除")
        ctx.delete_file("extra/gone.txt")
        ctx.write_file("extra/kept.txt", "一")
        ctx.write_file("extra/kept.txt", "二")  # written twice: the second text is published


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def mirrored(release: Path, other: Path) -> bool:
    """``other`` holds exactly ``release``'s files, each the same file (a hard link)."""
    files = {p.relative_to(release): p.stat().st_ino for p in release.rglob("*") if p.is_file()}
    return files == {p.relative_to(other): p.stat().st_ino for p in other.rglob("*") if p.is_file()}


def build(records, out: Path):
    plugin = Collect()
    result = build_site(records, out, full=True, config=small_config(plugins=[plugin]))
    return result, plugin.records


@pytest.fixture(scope="module")
def records():
    recs = list(generate_sample(docs=40, seed=5))
    recs[3] = {**recs[3], "body_html": '<p onclick="x()">正文</p><script>alert(1)</script><h1>标题</h1>'}
    recs[4] = {**recs[4], "replaced_by": recs[10]["id"]}  # the sample has interpretations, no replacement
    assert any(r.get("interprets") for r in recs)
    return recs


@pytest.fixture(scope="module")
def streamed(tmp_path_factory, records):
    out = tmp_path_factory.mktemp("streamed") / "site"
    result, plugin_records = build(iter(records), out)
    return out, result, plugin_records


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "in-process"])
def test_parts_read_by_the_render_processes_publish_the_same_site(tmp_path, records, streamed, fork):
    log = tmp_path / "pids"
    result, plugin_records = build(ListParts(records, log, fork=fork), tmp_path / "site")
    out, expected, expected_records = streamed
    assert tree(tmp_path / "site") == tree(out)
    assert (result.documents, result.files_written, result.records_read) == (len(records), expected.files_written,
                                                                          len(records))
    assert plugin_records == expected_records  # public records (the dirty body cleaned), in id order
    assert "<script" not in orjson.dumps(plugin_records).decode()
    readers = {int(p) for p in log.read_text().split()}
    assert (os.getpid() not in readers) if fork else (readers == {os.getpid()})
    assert not any((tmp_path / ".site.build" / "tmp").iterdir())  # the parts' spool files are gone
    assert (tmp_path / "site" / "extra/kept.txt").read_text() == "二"
    # the other release is the live one's copy, linked as the files were written (no clone afterwards)
    releases = tmp_path / ".site.build" / "releases"
    assert mirrored(releases / "a", releases / "b")
    assert sorted(p.name for p in releases.iterdir()) == ["a", "b"]
    state = tmp_path / ".site.build" / "state.sqlite3"
    again = build_site(iter(records), tmp_path / "site", config=small_config())  # the state holds their hashes
    assert again.files_written == 0 and state.exists()
    # a second full build writes release b; a becomes its copy, and an incremental build then equals a full one
    build(ListParts(records, log, fork=fork), tmp_path / "site")
    assert mirrored(releases / "b", releases / "a")
    changed = [*records[:5], {**records[5], "title": "改过的标题"}, *records[6:]]
    build_site(iter(changed), tmp_path / "site", config=small_config(plugins=[Collect()]))
    build(iter(changed), tmp_path / "full")
    assert tree(tmp_path / "site") == tree(tmp_path / "full")


@pytest.mark.django_db
def test_the_database_read_in_parts_publishes_what_it_reads_in_one_stream(site_dir):  # noqa: F811
    import_records([orjson.dumps(r) for r in generate_sample(docs=30, seed=11)])
    source = jobs.all_records()
    one_stream = list(iter_document_records(jobs._default_locale_documents(), expand=True))
    parts = source.parts()
    assert [r["id"] for part in parts for r in source.read_part(part)] == [r["id"] for r in one_stream]
    assert sorted(source.organs()) == sorted(
        (site, organ, n) for (site, organ), n in Counter((r["site"], r["organ"]) for r in one_stream).items())
    by_id = {r["id"]: r for r in one_stream}
    related = {s["id"]: s for s in source.related_summaries()}
    assert 0 < len(related) < len(one_stream)
    assert set(related) >= {r["interprets"] for r in one_stream if r.get("interprets")}
    assert set(related) >= {r["id"] for r in one_stream if r.get("interprets")}
    assert all(s == {k: by_id[i][k] for k in s} for i, s in related.items())
    parted, parted_records = build(jobs.all_records(), site_dir.parent / "parted")
    streamed, streamed_records = build(iter(one_stream), site_dir.parent / "streamed")
    assert parted.documents == len(one_stream) > 0
    assert tree(site_dir.parent / "parted") == tree(site_dir.parent / "streamed")
    assert parted_records == streamed_records


from tests.test_site_queue import site_dir  # noqa: E402, F401


class SeesRelease(BasePlugin):
    """A plugin that reads the release in ``on_render`` (as a link checker would): what it saw."""

    name = "sees-release"

    def __init__(self):
        self.seen: set[str] = set()

    def on_render(self, ctx) -> None:
        self.seen = {p.relative_to(ctx.out_dir).as_posix() for p in ctx.out_dir.rglob("*.html")}


@pytest.mark.parametrize("processes", [1, 2])
def test_a_plugin_that_may_read_the_release_sees_every_list_page_written(tmp_path, processes):
    """Lists render beside the plugins only when every plugin says it does not read the release
    (``beside_lists``, the search index); a third-party plugin sees what the contract promises."""
    records = list(generate_sample(docs=150, seed=3))
    plugin = SeesRelease()
    build_site(iter(records), tmp_path / "site", config=small_config(plugins=[plugin], processes=processes))
    final = {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*.html")}
    assert any("/page/" in p for p in final) and "list/index.html" in final
    assert plugin.seen == final


def test_which_plugins_let_the_lists_render_beside_them():
    from publish.plugin import PublishPlugin
    from search_index.plugin import SearchIndexPlugin
    from site_generator.plugins import beside_lists

    class OnLiveOnly(BasePlugin):
        def on_live(self, ctx) -> None: ...

    assert beside_lists(SearchIndexPlugin()) and beside_lists(OnLiveOnly())  # says so; does nothing in on_render
    assert PublishPlugin.on_render is BasePlugin.on_render  # the default configuration keeps the overlap
    assert not beside_lists(SeesRelease()) and not beside_lists(Collect())
