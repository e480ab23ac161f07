"""The search index's delta (issue 19): a one-document change writes a few files, queries find it at
once (Python and the browser alike), and merging the delta gives exactly a full assembly."""

import json
import random

import pytest

from cms.demo.sample import generate_sample
from search_index import build as B
from search_index import format as fmt
from search_index.build import build_index
from search_index.query import Query, SearchIndex
from tests.helpers.browser import Chromium, StaticServer, chromium_available


@pytest.fixture(scope="module")
def records():
    return [r for r in generate_sample(700, seed=12) if "op" not in r]


class CountingIndex(SearchIndex):
    """Counts the bytes of the index files a query downloads (gzip'd, as a browser would)."""

    def __init__(self, site_dir):
        super().__init__(site_dir)
        self.bytes_read = 0

    def _file(self, kind, name):
        if (kind, name) not in self._files:
            self.bytes_read += (self.root / kind / f"{name}.bin").stat().st_size
        return super()._file(kind, name)


def _ids(index, q, size=20):
    return [r["id"] for r in index.search(Query(q=q, size=size)).results]


def _changed_paths(site, state, records, removed=(), **kw):
    """One incremental index build; the index files it wrote or deleted."""
    changed = []
    write = B._default_writer(site)
    delete = B._default_deleter(site)

    def write_file(rel, data):
        changed.append(rel)
        write(rel, data)

    def delete_file(rel):
        changed.append(rel)
        delete(rel)

    stats = build_index(records, site, state, removed_ids=set(removed), full=False, write_file=write_file,
                        delete_file=delete_file, **kw)
    return stats, set(changed)


def _query_cost(site, queries):
    index = CountingIndex(site)
    index._load_manifest()
    before = index.bytes_read
    for q in queries:
        index.search(Query(q=q))
    return index.bytes_read - before


def test_one_document_create_update_withdrawal_write_few_files_and_show_at_once(tmp_path, records):
    recs = records[:500]
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(recs, site, state)
    created = dict(records[600], id="new-1", title="关于开展深海养殖装备试点工作的通知")
    updated = dict(recs[30], title="关于调整月球车辆通行管理措施的通告")
    withdrawn = recs[60]
    assert withdrawn["id"] in _ids(SearchIndex(site), withdrawn["title"], 50)

    for change, removed in (([created], ()), ([updated], ()), ([], (withdrawn["id"],))):
        stats, paths = _changed_paths(site, state, change, removed)
        assert stats.delta and not stats.patched
        # the delta is inline in the manifest: one index file per change (ADR 0161)
        assert sorted(paths) == [fmt.PREFIX + "manifest.json"], sorted(paths)
        assert stats.state_rows <= 2 * 32  # by key: the changed rows and the delta's few documents

    index = SearchIndex(site)
    assert _ids(index, "深海养殖装备")[0] == "new-1"
    assert _ids(index, "月球车辆通行")[0] == updated["id"]
    assert updated["id"] not in _ids(index, recs[30]["title"][2:12], 50) or recs[30]["title"][2:12] in updated["title"]
    assert withdrawn["id"] not in _ids(index, withdrawn["title"], 50)
    assert index.manifest["docs"] == 500  # one created, one withdrawn

    # A query with the delta present costs at most 10 KB more than the same query once it is merged.
    queries = ["深海养殖装备", "月球车辆通行", withdrawn["title"], "通知", recs[5]["title"]]
    with_delta = _query_cost(site, queries) / len(queries)
    stats, _ = _changed_paths(site, state, [], merge=True)
    assert stats.patched and not (site / fmt.PREFIX / "x").exists() or not any((site / fmt.PREFIX / "x").iterdir())
    merged = _query_cost(site, queries) / len(queries)
    assert with_delta - merged <= 10 * 1024, (with_delta, merged)
    index = SearchIndex(site)
    assert _ids(index, "深海养殖装备")[0] == "new-1" and withdrawn["id"] not in _ids(index, withdrawn["title"], 50)


def test_delta_then_merge_equals_a_full_assembly(tmp_path, records, monkeypatch):
    """Small blocks and pages, so terms span many blocks: random changes, additions and withdrawals
    go to the delta build after build (queries see each at once), then one merge writes exactly
    what a full assembly of the same state writes."""
    monkeypatch.setattr(fmt, "BLOCK", 32)
    monkeypatch.setattr(fmt, "PAGE_POSTINGS", 16)
    monkeypatch.setattr(fmt, "INLINE_DF", 3)
    monkeypatch.setattr(fmt, "DELTA_MAX_BYTES", 1 << 30)
    monkeypatch.setattr(fmt, "DELTA_MAX_DOCS", 1000)
    rng = random.Random(8)
    live = {r["id"]: r for r in records[:400]}
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(live.values(), site, state)
    gone: set[str] = set()
    for step in range(5):
        changed = [dict(r, title=r["title"] + f"（第{step}次修订）", validity="废止" if step % 2 else r.get("validity"))
                   for r in rng.sample(list(live.values()), 3)]
        added = [dict(rng.choice(records[400:]), id=f"new-{step}-{i}", title=f"新增第{step}批{i}号文件")
                 for i in range(2)]
        removed = {r["id"] for r in rng.sample(list(live.values()), 2)} - {r["id"] for r in changed}
        for r in changed + added:
            live[r["id"]] = r
        for rid in removed:
            del live[rid]
        gone |= removed
        stats = build_index(changed + added, site, state, removed_ids=removed, full=False)
        assert stats.delta
        index = SearchIndex(site)
        assert _ids(index, changed[0]["title"])[0] == changed[0]["id"]
        assert added[1]["id"] in _ids(index, added[1]["title"], 50)
        assert not set(_ids(index, "通知", 50)) & gone
        assert index.manifest["docs"] == len(live)
    stats = build_index([], site, state, full=False, merge=True)
    assert stats.patched and stats.documents == len(live)
    after = _files(site)
    reference = tmp_path / "reference"
    writer = B._Writer(B._default_writer(reference))
    B._assemble(B._State(state), writer, B.BuildStats())
    writer.close()
    assert after == _files(reference)


def _files(root):
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / fmt.PREFIX).rglob("*.bin")}
    manifest = json.loads((root / fmt.PREFIX / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("built")
    return files, manifest


def test_a_merge_never_hides_a_document(tmp_path, records):
    """Queries during the merge (before and after its manifest, after each deletion) find every
    changed document and none of the withdrawn."""
    recs = records[:300]
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(recs, site, state)
    changed = [dict(r, title=f"关于第{i}号海岛旅游码头改造的批复") for i, r in enumerate(recs[10:13])]
    gone = recs[20]
    build_index(changed, site, state, removed_ids={gone["id"]}, full=False)
    checks = []

    def check():
        index = SearchIndex(site)
        checks.append(all(_ids(index, r["title"])[0] == r["id"] for r in changed)
                      and gone["id"] not in _ids(index, gone["title"], 50))

    write = B._default_writer(site)
    delete = B._default_deleter(site)

    def write_file(rel, data):
        if rel.endswith("manifest.json"):
            check()
        write(rel, data)
        if rel.endswith("manifest.json"):
            check()

    def delete_file(rel):
        delete(rel)
        if "/x/" in rel or len(checks) < 6:
            check()

    stats = build_index([], site, state, full=False, merge=True, write_file=write_file, delete_file=delete_file)
    assert stats.patched and len(checks) >= 4 and all(checks), checks


def test_the_delta_is_merged_when_it_grows(tmp_path, records, monkeypatch):
    monkeypatch.setattr(fmt, "DELTA_MAX_DOCS", 3)
    recs = records[:200]
    site, state = tmp_path / "site", tmp_path / "state"
    build_index(recs, site, state)
    for i in range(3):
        stats = build_index([dict(recs[i], title=f"第{i}次修订的港口规划")], site, state, full=False)
        assert stats.delta
    manifest = json.loads((site / fmt.PREFIX / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["delta"]["ords"]) == 3 and manifest["delta"]["inline"]
    stats = build_index([dict(recs[3], title="第3次修订的港口规划")], site, state, full=False)
    assert stats.patched and not stats.delta
    manifest = json.loads((site / fmt.PREFIX / "manifest.json").read_text(encoding="utf-8"))
    assert "delta" not in manifest
    assert {r["id"] for r in SearchIndex(site).search(Query(q="修订的港口规划", size=10)).results} == {
        r["id"] for r in recs[:4]}


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)")
def test_browser_and_server_agree_with_a_delta(tmp_path, records, monkeypatch):
    from search_index.plugin import SearchIndexPlugin
    from site_generator.build import build_site
    from site_generator.config import BuildConfig

    monkeypatch.setattr(fmt, "BLOCK", 64)
    recs = records[:300]
    cfg = BuildConfig(plugins=[SearchIndexPlugin()])
    site, state = tmp_path / "site", tmp_path / "state"
    build_site(recs, site, full=True, config=cfg, state_dir=state)
    edited = dict(recs[7], title="关于开展海上风电试点工作的通知")
    added = dict(recs[0], id="new-1", title="全新发布的海上风电规划", published="2031-01-01T08:00:00+08:00")
    gone = recs[11]
    build_site([edited, added], site, config=cfg, state_dir=state, changed_ids={edited["id"], added["id"], gone["id"]})
    index = SearchIndex(site)
    index._load_manifest()
    assert index.manifest.get("delta")
    cases = [{"q": "海上风电"}, {"q": "海上风电", "sort": "date"}, {"q": gone["title"]}, {"q": recs[7]["title"]},
             {"q": "通知"}, {"q": "关于", "page": 2}, {"q": "", "year": "2031"}]
    with StaticServer(site) as server, Chromium() as chromium:
        chromium.navigate(server.url + "/search/",
                          wait_for="document.documentElement.classList.contains('search-ready')")
        for case in cases:
            params = {"q": "", "organ": "", "category": "", "topic": "", "year": "", "validity": "",
                      "sort": "relevance", "page": 1, **case}
            js = chromium.evaluate(
                f"govsiteSearch.search({json.dumps(params)}).then(r => [r.total, r.results.map(x => x.id)])")
            py = index.search(Query(**params))
            assert js == [py.total, [r["id"] for r in py.results]], case
    assert index.search(Query(q="海上风电")).results[0]["id"] in {"new-1", edited["id"]}
    assert gone["id"] not in {r["id"] for r in index.search(Query(q=gone["title"], size=50)).results}
