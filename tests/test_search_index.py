"""The prebuilt index over the project's own sample: known items, filters, sort, updates, API, CLI, no-JS page."""

import collections
import json
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from cms.demo.sample import generate_sample
from search_index.build import build_index
from search_index.plugin import SearchIndexPlugin
from search_index.query import Query, SearchIndex

DOCS = 1200


@pytest.fixture(scope="module")
def records():
    return [r for r in generate_sample(DOCS, seed=7) if "op" not in r]


@pytest.fixture(scope="module")
def built(tmp_path_factory, records):
    root = tmp_path_factory.mktemp("search")
    stats = build_index(records, root / "site", root / "state")
    assert stats.documents == len(records)
    return root


@pytest.fixture(scope="module")
def index(built):
    return SearchIndex(built / "site")


def _found(index, query, record, top=3, **kw):
    """In the top ``top``, or only documents with the very same title rank above it (indistinguishable)."""
    res = index.search(Query(q=query, **kw))
    titles = [r["title"] for r in res.results[:top]]
    ids = [r["id"] for r in res.results[:top]]
    return record["id"] in ids or (len(titles) == top and all(t == record["title"] for t in titles))


def test_known_item_title_fragment_top3(index, records):
    rng = random.Random(11)
    sample = rng.sample(records, 150)
    hits = sum(_found(index, r["title"][1:-1] if len(r["title"]) > 6 else r["title"], r) for r in sample)
    assert hits / len(sample) >= 0.95, hits


def test_known_item_doc_no_any_brackets_top3(index, records):
    rng = random.Random(12)
    with_no = [r for r in records if r.get("doc_no")]
    sample = rng.sample(with_no, min(80, len(with_no)))
    brackets = [("〔", "〕"), ("[", "]"), ("(", ")"), ("【", "】"), ("", "")]
    hits = 0
    for i, r in enumerate(sample):
        o, c = brackets[i % len(brackets)]
        typed = r["doc_no"].replace("〔", o).replace("〕", c).replace("[", o).replace("]", c)
        res = index.search(Query(q=typed))
        hits += bool(res.results) and res.results[0]["id"] == r["id"]
    assert hits / len(sample) >= 0.95, hits


def test_index_no_matches_exactly(index, records):
    r = next(r for r in records if r.get("index_no"))
    res = index.search(Query(q=r["index_no"]))
    assert res.results[0]["id"] == r["id"]


def test_traditional_and_fullwidth_queries_find_the_same(index):
    simp = index.search(Query(q="营商环境"))
    trad = index.search(Query(q="營商環境"))
    assert simp.total > 0 and [r["id"] for r in simp.results] == [r["id"] for r in trad.results]
    assert "<mark>营商环境</mark>" in simp.results[0]["title_html"] + simp.results[0]["snippet"]


def test_filters_restrict_every_result(index, records):
    organ = collections.Counter(r["organ"] for r in records).most_common(1)[0][0]
    res = index.search(Query(q="通知", organ=organ, size=50))
    assert res.total > 0 and all(r["organ"] == organ for r in res.results)
    year = records[0]["published"][:4]
    res = index.search(Query(q="", year=year, validity="有效", size=50))
    expected = sum(1 for r in records if r["published"][:4] == year and r.get("validity") == "有效")
    assert res.total == expected and all(r["published"].startswith(year) for r in res.results)
    res = index.search(Query(q="工作", category="政策解读", topic=records[0]["topic"]))
    assert all(r["category"] == "政策解读" and r["topic"] == records[0]["topic"] for r in res.results)


def test_sort_by_date_is_newest_first(index):
    res = index.search(Query(q="工作", sort="date", size=30))
    dates = [r["published"] for r in res.results]
    assert len(dates) == 30 and dates == sorted(dates, reverse=True)


def test_valid_before_repealed_when_scores_tie(tmp_path):
    base = {"site": "zfb", "organ": "南安市人民政府办公室", "body_html": "<p>内容</p>", "category": "政策文件"}
    recs = [
        {**base, "id": "old-valid", "title": "南安市殡葬管理办法", "published": "2020-01-01T09:00:00+08:00", "validity": "有效"},
        {**base, "id": "new-repealed", "title": "南安市殡葬管理办法", "published": "2021-01-01T09:00:00+08:00", "validity": "废止"},
        {**base, "id": "newest-expired", "title": "南安市殡葬管理办法", "published": "2022-01-01T09:00:00+08:00", "validity": "失效"},
    ]
    build_index(recs, tmp_path / "site", tmp_path / "state")
    res = SearchIndex(tmp_path / "site").search(Query(q="殡葬管理"))
    assert [r["id"] for r in res.results] == ["old-valid", "newest-expired", "new-repealed"]


def test_pagination_and_no_results_with_suggestions(index):
    p1 = index.search(Query(q="工作", page=1))
    p2 = index.search(Query(q="工作", page=2))
    assert p1.pages >= 2 and not {r["id"] for r in p1.results} & {r["id"] for r in p2.results}
    none = index.search(Query(q="营商环境火星殖民"))
    assert none.total == 0 and none.message == "没有找到相关信息" and "营商环境" in none.suggestions


def test_incremental_update_withdraws_and_changes(tmp_path, records):
    recs = records[:300]
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(recs, site, state)
    target, changed = recs[10], dict(recs[20])
    index = SearchIndex(site)
    assert _found(index, target["title"], target)
    changed["title"] = "关于开展月球基地建设试点的通知"
    stats = build_index([changed], site, state, removed_ids={target["id"]}, full=False)
    assert stats.tokenized == 1 and stats.removed == 1 and stats.documents == 299
    index = SearchIndex(site)
    assert target["id"] not in {r["id"] for r in index.search(Query(q=target["title"], size=50)).results}
    assert index.search(Query(q="月球基地")).results[0]["id"] == changed["id"]
    # A full rebuild with the same records tokenizes nothing again (cached by content hash).
    again = build_index([r for r in recs if r["id"] != target["id"] and r["id"] != changed["id"]] + [changed],
                        site, state, full=True)
    assert again.tokenized == 0 and again.documents == 299
    # Stale files of the earlier builds are gone: on disk are exactly the files this build references.
    files = [p for p in site.rglob("*.bin")]
    assert len(files) == again.files - 1  # minus manifest.json


def test_api_json_with_and_without_slash(built, records):
    client = Client()
    r = next(r for r in records if r.get("doc_no"))
    with override_settings(GOVSITE_SITE_DIR=built / "site"):
        for path in ("/api/search", "/api/search/"):
            resp = client.get(path, {"q": r["doc_no"].replace("〔", "[").replace("〕", "]")})
            assert resp.status_code == 200, resp.content
            data = resp.json()
            assert data["total"] >= 1
            first = data["results"][0]
            assert first["id"] == r["id"] and first["url"] and first["organ"] == r["organ"]
            assert {"title", "published", "snippet"} <= set(first)
        resp = client.get("/api/search", {"q": "工作", "sort": "date", "organ": r["organ"], "page": 2})
        assert resp.status_code == 200 and all(x["organ"] == r["organ"] for x in resp.json()["results"])


def test_api_without_index_says_so_in_chinese(tmp_path):
    with override_settings(GOVSITE_SITE_DIR=tmp_path / "nothing"):
        resp = Client().get("/api/search", {"q": "通知"})
    assert resp.status_code == 503 and "搜索索引尚未生成" in resp.json()["message"]


@pytest.mark.django_db  # the theme's page reads the departments and columns
def test_no_javascript_form_gets_server_rendered_results(built, records):
    r = records[5]
    with override_settings(GOVSITE_SITE_DIR=built / "site"):
        resp = Client().get("/api/search/html", {"q": r["title"]})
    html = resp.content.decode()
    assert resp.status_code == 200 and "text/html" in resp["Content-Type"]
    assert r["title"] in html.replace("<mark>", "").replace("</mark>", "")
    assert 'action="/api/search/html"' in html and "共找到" in html
    assert 'id="search-page-form"' in html and "site-header" in html  # the theme's own page, filled in


def test_cli_prints_the_same_results(built, records):
    r = next(r for r in records if r.get("doc_no"))
    out = StringIO()
    call_command("search", r["doc_no"], "--json", "--site-dir", str(built / "site"), stdout=out)
    data = json.loads(out.getvalue())
    assert data["results"][0]["id"] == r["id"]
    out = StringIO()
    call_command("search", r["doc_no"], "--site-dir", str(built / "site"), stdout=out)
    assert r["title"] in out.getvalue() and "共" in out.getvalue()


def _index_files(root, same_epoch=False):
    """The index's files and manifest; ``same_epoch`` compares indexes of two states (each draws
    its own epoch for the names of listed files)."""
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "search" / "idx").rglob("*.bin")}
    manifest = json.loads((root / "search" / "idx" / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("built")
    if same_epoch:
        epoch = manifest.pop("epoch")
        files = {k.replace(epoch, "EPOCH"): v for k, v in files.items()}
    return files, manifest


def test_incremental_patch_equals_a_full_assembly(tmp_path, records):
    """An incremental build rewrites only what changed, and writes exactly what a full assembly would."""
    from search_index import build as B

    recs = records[:400]
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(recs, site, state)
    before, _ = _index_files(site)
    newest = max(recs, key=lambda r: (r["published"], r["id"]))
    changed = [dict(r, title=r["title"] + "（修订）", validity="废止") for r in recs[40:43]]
    added = [dict(recs[0], id="new-1", title="全新发布的文件", published="2031-01-01T08:00:00+08:00")]
    stats = build_index(changed + added, site, state, removed_ids={newest["id"], recs[7]["id"]}, full=False,
                        merge=True)
    assert stats.patched and stats.tokenized == 4 and stats.removed == 2
    after, manifest = _index_files(site)
    assert 0 < len(set(after) - set(before)) < len(after) / 2  # most files kept their names and bytes
    reference = tmp_path / "reference"
    B._assemble(B._State(state), B._Writer(B._default_writer(reference)), B.BuildStats())
    ref_files, ref_manifest = _index_files(reference)
    assert after == ref_files and manifest == ref_manifest
    index = SearchIndex(site)
    assert index.search(Query(q="全新发布的文件")).results[0]["id"] == "new-1"
    assert index.search(Query(q=changed[0]["title"])).results[0]["validity"] == "废止"


def test_incremental_patch_of_paged_terms_over_many_blocks(tmp_path, records, monkeypatch):
    """Small blocks and pages, so terms span many blocks, page groups and group sizes: random
    changes, additions and withdrawals, patched one build after another, equal a full assembly."""
    from search_index import build as B
    from search_index import format as fmt

    monkeypatch.setattr(fmt, "BLOCK", 32)
    monkeypatch.setattr(fmt, "PAGE_POSTINGS", 16)
    monkeypatch.setattr(fmt, "INLINE_DF", 3)
    rng = random.Random(5)
    live = {r["id"]: r for r in records[:500]}
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(live.values(), site, state)
    for step in range(6):
        changed = [dict(r, title=r["title"] + f"（第{step}次修订）") for r in rng.sample(list(live.values()), 5)]
        added = [dict(rng.choice(records[500:]), id=f"new-{step}-{i}") for i in range(3)]
        removed = {r["id"] for r in rng.sample(list(live.values()), 4)} - {r["id"] for r in changed}
        for r in changed + added:
            live[r["id"]] = r
        for rid in removed:
            del live[rid]
        stats = build_index(changed + added, site, state, removed_ids=removed, full=False, merge=True)
        assert stats.patched
    after, manifest = _index_files(site)
    reference = tmp_path / "reference"
    writer = B._Writer(B._default_writer(reference))
    B._assemble(B._State(state), writer, B.BuildStats())
    writer.close()
    ref_files, ref_manifest = _index_files(reference)
    assert after == ref_files and manifest == ref_manifest
    index = SearchIndex(site)
    some = rng.choice([r for r in live.values() if r["id"].startswith("new-")])
    assert any(r["id"] == some["id"] for r in index.search(Query(q=some["title"], size=50)).results)
    assert index.search(Query(q=changed[0]["title"])).results[0]["id"] == changed[0]["id"]


def test_cache_of_another_tokenizer_version_needs_a_full_build(tmp_path, records):
    import sqlite3

    from search_index.build import StaleState

    site, state = tmp_path / "site", tmp_path / "state"
    build_index(records[:50], site, state)
    db = sqlite3.connect(state / "search.sqlite3")
    db.execute("UPDATE kv SET value = '0' WHERE key = 'tokens_version'")
    db.commit()
    db.close()
    before, _ = _index_files(site)
    with pytest.raises(StaleState):
        build_index(records[50:51], site, state, full=False)
    assert _index_files(site)[0] == before  # nothing written
    stats = build_index(records[:51], site, state)
    assert stats.tokenized == 51
    assert SearchIndex(site).search(Query(q=records[50]["title"])).results[0]["id"] == records[50]["id"]


def test_site_build_plugin_full_then_incremental(tmp_path, records):
    """Through the site generator: a full build writes the index, an incremental one withdraws and adds."""
    from site_generator.build import build_site
    from site_generator.config import BuildConfig

    recs = records[:150]
    cfg = BuildConfig(plugins=[SearchIndexPlugin()])
    site, state = tmp_path / "site", tmp_path / "state"
    build_site(recs, site, full=True, config=cfg, state_dir=state)
    gone, edited = recs[3], dict(recs[4], title="关于开展海上风电试点工作的通知")
    assert _found(SearchIndex(site), gone["title"], gone)
    before = {p.relative_to(site).as_posix() for p in (site / "search" / "idx").rglob("*.bin")}
    result = build_site([edited], site, config=cfg, state_dir=state, changed_ids={gone["id"], edited["id"]})
    after = {p.relative_to(site).as_posix() for p in (site / "search" / "idx").rglob("*.bin")}
    # What publishing uploads: the index's manifest alone, the delta inline in it (ADR 0161).
    assert after == before
    assert [p for p in result.changed_paths if p.startswith("search/idx/")] == ["search/idx/manifest.json"]
    index = SearchIndex(site)
    assert gone["id"] not in {r["id"] for r in index.search(Query(q=gone["title"], size=50)).results}
    hit = index.search(Query(q="海上风电")).results[0]
    assert hit["id"] == edited["id"] and (site / hit["url"].lstrip("/")).exists()
    assert (site / "search" / "index.html").exists()


def test_api_reads_bad_numbers_leniently(built):
    with override_settings(GOVSITE_SITE_DIR=built / "site"):
        resp = Client().get("/api/search", {"q": "通知", "page": "abc", "size": "-3"})
    assert resp.status_code == 200 and resp.json()["page"] == 1 and len(resp.json()["results"]) == 1


def test_tokens_file_is_compacted_by_a_full_build(tmp_path, records):
    """Incremental builds append changed documents' tokens; a full build drops the old versions."""
    from search_index import build as B

    recs = records[:60]
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(recs, site, state)
    size = sum(p.stat().st_size for p in state.glob("tokens*.bin"))
    for step in range(3):
        build_index([dict(r, title=r["title"] + f"（修订{step}）") for r in recs], site, state, full=False)
    assert sum(p.stat().st_size for p in state.glob("tokens*.bin")) > 3 * size
    final = [dict(r, title=r["title"] + "（修订2）") for r in recs]
    expected = SearchIndex(site).search(Query(q=final[5]["title"])).as_dict()
    build_index(final, site, state)
    assert len(list(state.glob("tokens*.bin"))) == 1
    assert sum(p.stat().st_size for p in state.glob("tokens*.bin")) < 1.2 * size
    assert SearchIndex(site).search(Query(q=final[5]["title"])).as_dict() == expected
    reference = tmp_path / "reference"
    writer = B._Writer(B._default_writer(reference))
    B._assemble(B._State(state), writer, B.BuildStats())
    writer.close()
    assert _index_files(reference) == _index_files(site)


def test_one_process_indexes_every_document_like_several(tmp_path, records, built):
    """A one-core machine (no worker pool) must index all documents, not only the in-process head."""
    stats = build_index(records, tmp_path / "site", tmp_path / "state", processes=1)
    assert stats.tokenized == stats.documents == len(records)
    one, manifest_one = _index_files(tmp_path / "site", same_epoch=True)
    several, manifest_several = _index_files(built / "site", same_epoch=True)
    assert one == several and manifest_one == manifest_several
    last = max(records, key=lambda r: r["id"])  # far beyond the first batches tokenized in-process
    assert SearchIndex(tmp_path / "site").search(Query(q=last["title"])).total >= 1


def test_shard_entries_round_trip_through_their_compact_form():
    """The build formats entries by hand (for memory), the patch with orjson: the same bytes, and
    readers get back every segment's page and offset."""
    import orjson

    from search_index import format as fmt
    from search_index.build import entry_json

    term = "营商"
    prefix = f"{fmt.fnv1a(term):08x}."
    group = fmt.group_blocks(40)
    paged = [[0, 3, f"@{prefix}0-aaaaaa"], [1, 2, f"@{prefix}0-aaaaaa:9"],
             [group, 5, f"@{prefix}{group}-bbbbbb"], [group + 1, 30, f"@{prefix}{group}-bbbbbb:15"]]
    inline = [[0, 2, "AQACAAQE"], [3, 1, "AQAE"]]
    for df, segs in ((40, paged), (3, inline)):
        compact = fmt.compact_entry(df, segs)
        assert entry_json(df, segs) == orjson.dumps(compact)
        assert fmt.expand_entry(term, orjson.loads(orjson.dumps(compact))) == [df, segs]
    assert len(entry_json(40, paged)) < len(orjson.dumps([40, paged])) / 2


def test_an_old_document_is_found_by_its_title_past_newer_body_matches(tmp_path, monkeypatch):
    """With many blocks the relevance scan stops after the newest matches; the title pass still
    finds an old document whose title was typed (here: the oldest, among 50 newer documents whose
    bodies hold the same words)."""
    from search_index import format as fmt

    for name, value in {"BLOCK": 8, "INLINE_DF": 3}.items():
        monkeypatch.setattr(fmt, name, value)
    base = [r for r in generate_sample(60, seed=5) if "op" not in r]
    old = dict(base[0], id="old-1", title="南安市古厝保护利用三年行动方案", published="2001-01-01T08:00:00+08:00",
               body_html="<p>为做好古厝保护利用工作，制定本方案。</p>")
    newer = [dict(r, id=f"new-{i}", published=f"2030-01-{1 + i % 28:02d}T08:00:00+08:00",
                  body_html=f"<p>{r.get('body_html') or ''}古厝保护利用三年行动方案的落实情况。</p>")
             for i, r in enumerate(base[1:])]
    # Twelve old titles that differ by their year alone: the year tells them apart.
    twins = [dict(old, id=f"twin-{y}", title=f"南安市{y}年农村供水保障工作方案", published=f"{y}-03-01T08:00:00+08:00",
                  body_html="<p>做好农村供水保障工作。</p>") for y in range(2001, 2013)]
    echoes = [dict(r, id=f"echo-{i}", body_html=f"<p>{r.get('body_html') or ''}市2005年农村供水保障工作方案。</p>")
              for i, r in enumerate(newer)]
    build_index([old, *twins, *newer, *echoes], tmp_path / "site", tmp_path / "state")
    index = SearchIndex(tmp_path / "site")
    res = index.search(Query(q="古厝保护利用三年"))
    assert not res.total_exact  # the scan stopped early...
    assert res.results[0]["id"] == "old-1"  # ...and the title check brought the old document first
    # The scan stopped early, so the total is an estimate: a next page is offered only if it has results.
    for q in ("古厝保护利用三年", "古厝保护", "农村供水保障"):
        for sort in ("relevance", "date"):
            page = 1
            while (res := index.search(Query(q=q, sort=sort, page=page))).has_next:
                page += 1
                assert index.search(Query(q=q, sort=sort, page=page)).results, (q, sort, page)
            assert res.results and res.pages == page
    res = index.search(Query(q="市2005年农村供水保障工作"))
    assert res.results[0]["id"] == "twin-2005"
    monkeypatch.setattr(fmt, "TITLE_LISTS", 0)  # no title check
    assert "old-1" not in [r["id"] for r in index.search(Query(q="古厝保护利用三年")).results]
    assert index.search(Query(q="市2005年农村供水保障工作")).results[0]["id"] != "twin-2005"


def test_next_page_only_when_it_has_results(index):
    """has_next is never a guess: every page it offers has results, and the last one offers none."""
    for q, sort in (("工作", "relevance"), ("通知", "date"), ("营商环境", "relevance")):
        page, ids = 1, []
        while True:
            res = index.search(Query(q=q, sort=sort, page=page))
            assert res.results, (q, page)
            ids += [r["id"] for r in res.results]
            assert res.pages >= page + res.has_next
            if not res.has_next or page >= 8:
                break
            page += 1
        if not res.has_next:
            assert res.total == len(set(ids)) or not res.total_exact


@pytest.mark.django_db  # the theme's page reads the departments and columns
def test_server_page_pager_counts_and_doc_no_mark(built, records):
    """The no-JavaScript page: no pager for one page of results, no site-wide counts beside a
    query's results, and the searched 文号 marked in the result line."""
    r = next(r for r in records if r.get("doc_no") and "〔" in r["doc_no"])
    with override_settings(GOVSITE_SITE_DIR=built / "site"):
        page = Client().get("/api/search/html", {"q": r["doc_no"].replace("〔", "(").replace("〕", ")")}).content.decode()
        empty = Client().get("/api/search/html").content.decode()
    assert "下一页</a>" not in page and "上一页</a>" not in page and 'aria-label="搜索结果分页" hidden' in page
    assert f"<mark>{r['doc_no']}</mark>" in page
    assert r["organ"] + "（" not in page
    assert "（" in empty.split('id="search-organ"')[1].split("</select>")[0]


def test_assembly_in_term_ranges_and_processes_writes_the_same_index(tmp_path, records, built, monkeypatch):
    """The assembly split into many term ranges, document slices and metadata tasks, in a pool of
    worker processes, writes exactly the files of a one-range, in-process assembly (ADR 0094)."""
    from search_index import build as B

    monkeypatch.setattr(B, "RANGE_POSTINGS", 5000)
    monkeypatch.setattr(B, "ROWS_PER_PART", 100)
    monkeypatch.setattr(B, "CHUNKS_PER_TASK", 16)
    monkeypatch.setattr(B, "POOL_POSTINGS", 0)
    stats = build_index(records, tmp_path / "site", tmp_path / "state", processes=2)
    assert stats.documents == len(records)
    assert not (tmp_path / "state" / "assembly.tmp").exists()
    ranged, manifest_ranged = _index_files(tmp_path / "site", same_epoch=True)
    one, manifest_one = _index_files(built / "site", same_epoch=True)
    assert ranged == one and manifest_ranged == manifest_one
