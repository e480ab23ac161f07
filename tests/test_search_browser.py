"""End to end in Debian's headless chromium: the built site's search page answers as you type."""

import json

import pytest

from content_models.sample import generate_sample
from search_index.browser import Chromium, StaticServer, chromium_available
from search_index.query import Query, SearchIndex

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
    build_site(records, root / "site", full=True, config=BuildConfig(plugins=["search_index.plugin"]),
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
