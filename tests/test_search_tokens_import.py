"""Search tokens cached by the import: the build after an import does not tokenize, and finds the same."""

from __future__ import annotations

import logging
import sqlite3

import orjson
import pytest

from cms.build import jobs, search_tokens
from cms.demo.sample import generate_sample
from cms.exchange.importer import import_records
from search_index import build as index_build
from search_index.query import Query, SearchIndex
from site_generator.output import build_lock
from tests.test_site_queue import run_worker, site_dir  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture()
def locale():
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code="zh-hans")  # transactional tests flush migration data


@pytest.fixture()
def site(site_dir, settings):  # noqa: F811
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin"]
    return site_dir


def _lines(records):
    return [orjson.dumps(r) for r in records]


@pytest.fixture(params=["inline", "background"])
def imports(request, monkeypatch):
    """import_records with the tokens cached inline (a small import), or by the background worker
    process of a large one (ADR 0106: here from the first line on, in batches of 25)."""
    if request.param == "inline":
        return import_records
    monkeypatch.setattr(search_tokens.BackgroundTokens, "LINES", 1)
    return lambda lines: import_records(lines, batch_size=25)


def _state_db() -> sqlite3.Connection:
    return sqlite3.connect(jobs.state_dir_for(jobs.site_dir()) / "plugins" / "search_index" / "search.sqlite3")


def _tokenized(caplog) -> list[int]:
    """The plugin's own count of documents it tokenized, per build."""
    return [int(r.getMessage().split(",")[1].split()[0]) for r in caplog.records
            if r.name == "search_index.plugin" and "tokenized" in r.getMessage()]


def _finds(site, record) -> bool:
    res = SearchIndex(site).search(Query(q=record["title"]))
    return record["id"] in [r["id"] for r in res.results[:3]]


def test_a_full_build_after_an_import_tokenizes_nothing_and_finds_every_title(site, locale, caplog, imports):
    records = [r for r in generate_sample(docs=80, seed=21) if "op" not in r]
    imports(_lines(records))
    with _state_db() as db:
        assert db.execute("SELECT COUNT(*) FROM docs").fetchone()[0] == len(records)
    caplog.set_level(logging.INFO, logger="search_index.plugin")
    jobs.build_from_database(full=True)
    assert _tokenized(caplog) == [0]
    assert all(_finds(site, r) for r in records[:20])


def test_documents_cached_by_a_later_import_reach_the_incremental_index(site, locale, caplog, imports):
    records = [r for r in generate_sample(docs=70, seed=22) if "op" not in r]
    imports(_lines(records[:50]))
    run_worker()
    caplog.set_level(logging.INFO, logger="search_index.plugin")
    changed = dict(records[1], title="关于深海养殖装备试点工作的补充通知")
    imports(_lines([*records[50:], changed]))  # tokens cached here, then the queued build
    run_worker()
    built = _tokenized(caplog)
    assert built and not any(built)  # the queue's build(s) found them all cached
    assert all(_finds(site, r) for r in [*records[50:], changed])
    res = SearchIndex(site).search(Query(q=records[1]["title"]))
    assert records[1]["id"] not in [r["id"] for r in res.results[:1]] or res.results[0]["title"] == changed["title"]


def test_an_import_during_a_build_leaves_the_tokens_to_the_build(site, locale, caplog, imports):
    records = [r for r in generate_sample(docs=30, seed=23) if "op" not in r]
    with build_lock(jobs.state_dir_for(jobs.site_dir())):
        imports(_lines(records))
    caplog.set_level(logging.INFO, logger="search_index.plugin")
    jobs.build_from_database(full=True)
    assert _tokenized(caplog) == [len(records)]
    assert all(_finds(site, r) for r in records[:10])


def test_tokens_of_another_segmenter_or_opencc_version_are_dropped(tmp_path, monkeypatch):
    records = [r for r in generate_sample(docs=20, seed=24) if "op" not in r]
    state = tmp_path / "state"
    assert index_build.cache_tokens(records, state) == len(records)
    assert index_build.build_index(records, tmp_path / "site", state).tokenized == 0
    real = index_build._package_version
    monkeypatch.setattr(index_build, "_package_version", lambda name: "9.9" if name == "rjieba" else real(name))
    # an incremental build cannot rebuild the index alone; the full build tokenizes everything again
    with pytest.raises(index_build.StaleState):
        index_build.cache_tokens(records[:1], state)
    assert index_build.build_index(records, tmp_path / "site", state).tokenized == len(records)


def _index_files(site) -> tuple[dict[str, bytes], str]:
    """Every index file unpacked, and the manifest, with the state's random epoch and the build time left out."""
    import gzip
    import json

    manifest = json.loads((site / "search" / "idx" / "manifest.json").read_text("utf-8"))
    epoch = manifest.pop("epoch")
    manifest.pop("built")
    files = {str(p.relative_to(site)).replace(epoch, "E"): gzip.decompress(p.read_bytes()).replace(epoch.encode(), b"E")
             for p in sorted((site / "search" / "idx").rglob("*.bin"))}
    return files, json.dumps(manifest, sort_keys=True)


def test_an_index_from_tokens_cached_in_import_batches_equals_a_cold_build(tmp_path):
    import random

    records = [r for r in generate_sample(docs=700, seed=25) if "op" not in r]
    index_build.build_index(records, tmp_path / "cold", tmp_path / "cold-state")
    imported = records[:]
    random.Random(3).shuffle(imported)  # the import's order is not the build's
    for i in range(0, len(imported), 250):  # its batches
        index_build.cache_tokens(imported[i : i + 250], tmp_path / "state", chunk=100)
    assert index_build.build_index(records, tmp_path / "site", tmp_path / "state").tokenized == 0
    assert _index_files(tmp_path / "site") == _index_files(tmp_path / "cold")


def test_tokens_cached_in_the_background_equal_the_inline_ones(site, locale, monkeypatch):
    """The background worker (a large import) caches, row for row, what the inline path caches."""
    records = [r for r in generate_sample(docs=90, seed=26) if "op" not in r]

    def state_rows():
        with _state_db() as db:
            return db.execute("SELECT id, hash, published, meta, n FROM docs ORDER BY id").fetchall()

    import_records(_lines(records))
    inline = state_rows()
    state = jobs.state_dir_for(jobs.site_dir())
    import shutil

    shutil.rmtree(state / "plugins" / "search_index")
    monkeypatch.setattr(search_tokens.BackgroundTokens, "LINES", 1)
    forked = []
    real_start = search_tokens.BackgroundTokens.start
    monkeypatch.setattr(search_tokens.BackgroundTokens, "start",
                        lambda self: (real_start(self), forked.append(self.pool is not None)))
    changed = [dict(r, title=r["title"] + "（修订）") for r in records]  # every document changes: all tokenized again
    import_records(_lines(records), batch_size=20)  # unchanged documents: nothing to cache
    assert forked and all(forked)
    import_records(_lines(changed), batch_size=20)
    import_records(_lines(records), batch_size=20)  # and back: the same content as the inline import
    assert state_rows() == inline
    assert len(inline) == len(records)


def _worker_dies(records, state_dir):
    """Stands for the background worker killed mid-batch (Ctrl-C reaches the process group, the OOM killer)."""
    import os

    os._exit(1)


def test_an_import_whose_token_worker_dies_finishes_and_the_build_tokenizes(site, locale, caplog, monkeypatch):
    """The import neither hangs nor fails: its documents are in; the build tokenizes them instead."""
    records = [r for r in generate_sample(docs=60, seed=27) if "op" not in r]
    monkeypatch.setattr(search_tokens.BackgroundTokens, "LINES", 1)
    monkeypatch.setattr(search_tokens, "_cache_in_worker", _worker_dies)
    caplog.set_level(logging.ERROR, logger="cms.build.search_tokens")
    report = import_records(_lines(records), batch_size=20)
    assert report.created == len(records)
    assert any("could not cache the search tokens" in r.getMessage() for r in caplog.records)
    caplog.set_level(logging.INFO, logger="search_index.plugin")
    jobs.build_from_database(full=True)
    assert _tokenized(caplog) == [len(records)]
    assert all(_finds(site, r) for r in records[:10])
