"""End to end in Debian's headless chromium: the built site's search page answers as you type."""

import json

import pytest

from cms.demo.sample import generate_sample
from search_index.plugin import SearchIndexPlugin
from search_index.query import Query, SearchIndex
from tests.helpers.browser import Chromium, StaticServer, chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from site_generator.build import build_site
    from site_generator.config import BuildConfig

    root = tmp_path_factory.mktemp("browser")
    records = [r for r in generate_sample(400, seed=3) if "op" not in r]
    build_site(records, root / "site", full=True, config=BuildConfig(plugins=[SearchIndexPlugin()]),
               state_dir=root / "state")
    return root / "site", records


@pytest.fixture(scope="module")
def browser(site):
    with StaticServer(site[0]) as server, Chromium() as chromium:
        chromium.navigate(server.url + "/search/",
                          wait_for="document.documentElement.classList.contains('search-ready')")
        yield server, chromium


def _titles(chromium):
    return chromium.evaluate("[...document.querySelectorAll('.search-hit-title a')].map(a => a.textContent)")


def test_typing_a_query_shows_the_document(site, browser):
    _, records = site
    server, chromium = browser
    target = next(r for r in records if r.get("doc_no") and len(r["title"]) > 8)
    chromium.evaluate("document.getElementById('search-q').value = ''")
    chromium.type_text("#search-q", target["title"])
    chromium.wait("document.querySelectorAll('.search-hit').length > 0")
    chromium.wait(f"[...document.querySelectorAll('.search-hit-title a')].some(a => a.textContent === {json.dumps(target['title'])})")
    status = chromium.evaluate("document.getElementById('search-status').textContent")
    assert "共找到" in status and chromium.evaluate("document.getElementById('search-status').getAttribute('aria-live')") == "polite"
    assert target["title"] in _titles(chromium)[:3]
    assert "<mark>" in chromium.evaluate("document.querySelector('.search-hit-title a').innerHTML")
    assert "q=" in chromium.evaluate("location.search")


def test_traditional_doc_no_and_no_results(site, browser):
    _, records = site
    _, chromium = browser
    target = next(r for r in records if r.get("doc_no"))
    typed = target["doc_no"].replace("〔", "(").replace("〕", ")").replace("[", "(").replace("]", ")")
    chromium.evaluate("document.getElementById('search-q').value = ''")
    chromium.type_text("#search-q", typed)
    chromium.wait(f"document.querySelector('.search-hit-meta') && document.querySelector('.search-hit-meta').textContent.includes({json.dumps(target['doc_no'])})")
    chromium.evaluate("document.getElementById('search-q').value = ''")
    chromium.type_text("#search-q", "营商环境火星殖民")
    chromium.wait("!document.getElementById('search-empty').hidden")
    assert "营商环境" in chromium.evaluate("document.getElementById('search-suggestions').textContent")


def test_browser_and_server_give_the_same_results(site, browser):
    site_dir, records = site
    _, chromium = browser
    index = SearchIndex(site_dir)
    cases = [
        {"q": "營商環境"}, {"q": "通知", "sort": "date"}, {"q": "工作", "organ": records[0]["organ"]},
        {"q": records[7]["title"][2:9]}, {"q": "", "year": records[0]["published"][:4], "validity": "有效"},
    ]
    for case in cases:
        params = {"q": "", "organ": "", "category": "", "topic": "", "year": "", "validity": "",
                  "sort": "relevance", "page": 1, **case}
        js = chromium.evaluate(f"govsiteSearch.search({json.dumps(params)}).then(r => [r.total, r.results.map(x => x.id)])")
        py = index.search(Query(**params))
        assert js == [py.total, [r["id"] for r in py.results]], case


def test_filters_and_sort_controls(site, browser):
    _, records = site
    _, chromium = browser
    organ = records[0]["organ"]
    chromium.evaluate("document.getElementById('search-q').value = ''")
    chromium.type_text("#search-q", "工作")
    chromium.wait("document.querySelectorAll('.search-hit').length > 0")
    chromium.evaluate(f"""(() => {{ const s = document.getElementById('search-organ'); s.value = {json.dumps(organ)};
        s.dispatchEvent(new Event('change', {{bubbles: true}})); const o = document.getElementById('search-sort');
        o.value = 'date'; o.dispatchEvent(new Event('change', {{bubbles: true}})); }})()""")
    chromium.wait("location.search.includes('sort=date') && document.getElementById('search-status').textContent.includes('共找到')")
    chromium.wait(f"[...document.querySelectorAll('.search-hit-meta')].every(m => m.textContent.startsWith({json.dumps(organ)}))")
    dates = chromium.evaluate("[...document.querySelectorAll('.search-hit-meta')].map(m => m.textContent.split(' · ')[1])")
    assert dates == sorted(dates, reverse=True)
    assert chromium.evaluate("document.querySelector('label[for=search-organ]').textContent") == "发布机构"


def test_static_page_form_falls_back_to_the_server(site):
    site_dir, _ = site
    html = (site_dir / "search" / "index.html").read_text(encoding="utf-8")
    assert 'action="/api/search/html"' in html and 'name="q"' in html and "<noscript>" in html


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory):
    """An index of tiny blocks and pages: terms span many blocks, pages hold several segments at
    offsets, groups differ by df, and numbers live in their own shard family."""
    from search_index import format as fmt
    from search_index.build import build_index

    root = tmp_path_factory.mktemp("paged")
    records = [r for r in generate_sample(600, seed=11) if "op" not in r]
    # An old document, and 60 newer ones whose bodies hold the words of its title.
    records.append(dict(records[0], id="old-1", title="南安市古厝保护利用三年行动方案",
                        published="2001-01-01T08:00:00+08:00", body_html="<p>为做好古厝保护利用工作，制定本方案。</p>"))
    records += [dict(r, id=f"echo-{i}", published=f"2030-01-{1 + i % 28:02d}T08:00:00+08:00",
                     body_html=f"{r.get('body_html') or ''}<p>古厝保护利用三年行动方案的落实情况。</p>")
                for i, r in enumerate(records[1:61])]
    # Twelve old titles that differ by their year alone, and 60 newer bodies that quote one.
    records += [dict(records[0], id=f"twin-{y}", title=f"南安市{y}年农村供水保障工作方案",
                     published=f"{y}-03-01T08:00:00+08:00", body_html="<p>做好农村供水保障工作。</p>")
                for y in range(2001, 2013)]
    records += [dict(r, id=f"quote-{i}", published=f"2031-02-{1 + i % 28:02d}T08:00:00+08:00",
                     body_html=f"{r.get('body_html') or ''}<p>市2005年农村供水保障工作方案。</p>")
                for i, r in enumerate(records[61:121])]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"BLOCK": 32, "INLINE_DF": 3, "PAGE_POSTINGS": 64, "REF_BLOCKS": 4}.items():
            mp.setattr(fmt, name, value)
        build_index(records, root / "site", root / "state")
    (root / "site" / "search").mkdir(exist_ok=True)
    (root / "site" / "search" / "index.html").write_text("<!doctype html><meta charset=utf-8>", encoding="utf-8")
    return root / "site", records


def test_browser_and_server_agree_on_paged_entries_over_many_blocks(paged_site, site):
    site_dir, records = paged_site
    index = SearchIndex(site_dir)
    index._load_manifest()
    refs = [[seg[2] for seg in e[1]] for t in ("通知", "工作", "关于", "南安", "实施", "管理") if (e := index.entry(t))]
    assert any(len({r.split(":")[0] for r in rs}) > 1 for rs in refs)  # paged over several pages
    assert any(":" in r for rs in refs for r in rs)  # with segments at offsets inside a page
    numbers = [r["published"][:4] for r in records[:3]]
    cases = [{"q": "通知"}, {"q": "工作", "sort": "date"}, {"q": numbers[0]}, {"q": f"工作 {numbers[1]}"},
             {"q": records[5]["title"][1:7]}, {"q": records[40]["title"]}, {"q": "关于", "page": 3},
             {"q": "", "year": numbers[2]}, {"q": records[9].get("doc_no") or "南政"}]
    # The old document's title, typed in part: the scan stops in the newest blocks, and the title
    # check (t: lists, then the titles of a few candidates) puts it first in both engines.
    cases += [{"q": "古厝保护利用三年"}, {"q": "市2005年农村供水保障工作"}, {"q": "05年农村供水保障工作方"}]
    res = index.search(Query(q="古厝保护利用三年"))
    assert not res.total_exact and res.results[0]["id"] == "old-1"
    res = index.search(Query(q="市2005年农村供水保障工作"))  # twelve candidates; the year keeps one
    assert not res.total_exact and res.results[0]["id"] == "twin-2005"
    res = index.search(Query(q="05年农村供水保障工作方"))  # a year cut at the start: 2005 still
    assert res.results[0]["id"] == "twin-2005"
    script = (site[0] / "search" / "index.html").read_text(encoding="utf-8")
    with StaticServer(site_dir) as server, Chromium() as chromium:
        # The theme's page and script, reading this index (same origin, its own manifest).
        (site_dir / "search" / "index.html").write_text(script, encoding="utf-8")
        for asset in (site[0] / "static").rglob("*"):
            if asset.is_file():
                dest = site_dir / asset.relative_to(site[0])
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(asset.read_bytes())
        chromium.navigate(server.url + "/search/",
                          wait_for="document.documentElement.classList.contains('search-ready')")
        for case in cases:
            params = {"q": "", "organ": "", "category": "", "topic": "", "year": "", "validity": "",
                      "sort": "relevance", "page": 1, **case}
            js = chromium.evaluate(
                f"govsiteSearch.search({json.dumps(params)}).then(r => [r.total, r.results.map(x => x.id)])")
            py = index.search(Query(**params))
            assert py.total > 0, case
            assert js == [py.total, [r["id"] for r in py.results]], case


def _pick_query(index, low, high):
    """A word whose results fill between ``low`` and ``high`` results (exact count)."""
    for word in ("营商环境", "乡村振兴", "安全生产", "政务公开", "工作要点", "实施方案", "统计数据", "管理办法", "通知", "工作"):
        res = index.search(Query(q=word))
        if low <= res.total <= high and res.total_exact:
            return word, res
    raise AssertionError("no query with the wanted number of results in the sample")


def test_pager_only_when_there_is_another_page(site, browser):
    site_dir, records = site
    server, chromium = browser
    chromium.navigate(server.url + "/search/", wait_for="document.documentElement.classList.contains('search-ready')")
    index = SearchIndex(site_dir)
    one = next(r for r in records if len(r["title"]) > 12)
    chromium.evaluate("document.getElementById('search-q').value = ''")
    chromium.type_text("#search-q", one["title"])
    chromium.wait(f"govsiteSearch.last && govsiteSearch.last.query === {json.dumps(one['title'])}")
    if index.search(Query(q=one["title"])).total <= 10:
        assert chromium.evaluate("document.getElementById('search-pager').hidden")
    word, res = _pick_query(index, 11, 60)
    chromium.evaluate("document.getElementById('search-q').value = ''")
    chromium.type_text("#search-q", word)
    chromium.wait(f"govsiteSearch.last && govsiteSearch.last.query === {json.dumps(word)}")
    assert not chromium.evaluate("document.getElementById('search-pager').hidden")
    assert chromium.evaluate("document.getElementById('search-prev').hidden")
    seen = []
    for _ in range(10):  # walk to the last page: every page offered has results
        hits = chromium.evaluate("document.querySelectorAll('.search-hit').length")
        assert hits > 0
        seen += _titles(chromium)
        if chromium.evaluate("document.getElementById('search-next').hidden"):
            break
        page = chromium.evaluate("govsiteSearch.last.rendered")
        chromium.evaluate("document.getElementById('search-next').click()")
        chromium.wait(f"govsiteSearch.last.rendered !== {json.dumps(page)}")
        assert not chromium.evaluate("document.getElementById('search-prev').hidden")
    assert len(seen) == res.total  # every result reached, none offered beyond


def test_filter_counts_belong_to_the_query_or_are_not_shown(site, browser):
    _, records = site
    server, chromium = browser
    option = "document.getElementById('search-organ').options[1].textContent"
    chromium.navigate(server.url + "/search/", wait_for="document.documentElement.classList.contains('search-ready')")
    assert "（" in chromium.evaluate(option)  # nothing searched: the whole site's counts are true
    chromium.type_text("#search-q", "工作")
    chromium.wait("govsiteSearch.last && govsiteSearch.last.query === '工作'")
    assert "（" not in chromium.evaluate(option)  # a query: no site-wide counts beside its results


def test_doc_no_is_highlighted_in_the_result_line(site, browser):
    _, records = site
    server, chromium = browser
    chromium.navigate(server.url + "/search/", wait_for="document.documentElement.classList.contains('search-ready')")
    target = next(r for r in records if r.get("doc_no") and "〔" in r["doc_no"])
    typed = target["doc_no"].replace("〔", "[").replace("〕", "]")
    chromium.evaluate("document.getElementById('search-q').value = ''")
    chromium.type_text("#search-q", typed)
    chromium.wait(f"govsiteSearch.last && govsiteSearch.last.query === {json.dumps(typed)}")
    meta = chromium.evaluate("document.querySelector('.search-hit-meta').innerHTML")
    assert f"<mark>{target['doc_no']}</mark>" in meta
