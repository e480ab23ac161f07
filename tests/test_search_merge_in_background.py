"""The delta merge is the build worker's own build, never part of an editor's (ADR 0145): editors'
changes always go to the delta; once it outgrows its bounds the plugin asks for a build of its
own, which merges it; at every step a query on the live site finds every changed document."""

import json

from cms.demo.sample import generate_sample
from search_index import format as fmt
from search_index.plugin import SearchIndexPlugin
from search_index.query import Query, SearchIndex
from site_generator.build import build_site, default_state_dir, plugins_want_build
from site_generator.config import BuildConfig

PORTAL = {"name": "中国·南安", "domain": "www.nanan.gov.cn", "base_url": "https://www.nanan.gov.cn",
          "site_id_code": "3505830001"}


def test_editors_builds_never_merge_the_worker_build_does(tmp_path, monkeypatch):
    monkeypatch.setattr(fmt, "DELTA_MAX_DOCS", 3)
    recs = {r["id"]: dict(r) for r in generate_sample(docs=150, seed=21) if "op" not in r}
    plugin = SearchIndexPlugin()
    cfg = BuildConfig(portal=dict(PORTAL), processes=1, plugins=[plugin])
    out = tmp_path / "site"
    build_site(iter(recs.values()), out, full=True, config=cfg)
    state = default_state_dir(out)
    ids = sorted(recs)

    def found() -> set[str]:
        hits = SearchIndex(out).search(Query(q="深海养殖装备试点", size=50)).results
        return {r["id"] for r in hits}

    def manifest() -> dict:
        return json.loads((out / fmt.PREFIX / "manifest.json").read_text(encoding="utf-8"))

    changed: set[str] = set()
    for i in range(6):  # twice the bound: each editor's build writes the delta, none merges
        doc_id = ids[i * 7]
        recs[doc_id] = dict(recs[doc_id], title=f"关于深海养殖装备试点的通知（第{i}批）")
        changed.add(doc_id)
        result = build_site([recs[doc_id]], out, config=cfg, changed_ids={doc_id},
                            fetch=lambda wanted: [recs[w] for w in wanted if w in recs])
        assert not result.full
        assert "delta" in manifest(), i  # not merged in the editor's build
        assert found() == changed, i
        assert plugins_want_build([plugin], state) == (len(changed) > 3), i
    main_shards = {p.name for p in (out / fmt.PREFIX / "s").iterdir()}

    # The worker's build: nothing changed, the plugin's merge makes the release.
    result = build_site([], out, config=cfg, changed_ids=set(), fetch=lambda wanted: [])
    assert result.changed_paths  # a new release
    assert "delta" not in manifest()
    delta_dir = out / fmt.PREFIX / "x"
    assert not delta_dir.exists() or not list(delta_dir.iterdir())  # the delta files left with the merge
    assert {p.name for p in (out / fmt.PREFIX / "s").iterdir()} != main_shards
    assert found() == changed
    assert not plugins_want_build([plugin], state)
    # Nothing left to do: the next empty build makes no release.
    assert build_site([], out, config=cfg, changed_ids=set(), fetch=lambda wanted: []).changed_paths == []
