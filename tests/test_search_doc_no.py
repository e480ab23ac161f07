"""Every 文号 form finds its document first: the Python engine (API, CLI) and the browser alike.

Real numbers of laws, regulations and announcements (国务院令第329号, 国家市场监督管理总局令第53号,
主席令第八十一号, 杭州市人民代表大会常务委员会公告第50号, 国家税务总局公告2019年第1号), joint numbers,
and 文号 with a bracketed year, typed with full-width digits, spaces, any bracket, 繁體, or a short
organ name (国令 for 国务院令). Each document has near twins (the next number, another year) and
newer documents whose bodies cite its number, so only the exact number can put it first.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from cms.demo.sample import generate_sample
from content_models import identifiers
from search_index.plugin import SearchIndexPlugin
from search_index.query import Query, SearchIndex
from site_generator.build import build_site
from site_generator.config import BuildConfig
from tests.helpers.browser import Chromium, StaticServer, chromium_available

# (stored 文号, title)
LAWS = {
    "law-329": ("国务院令第329号", "中华人民共和国行政复议法实施条例"),
    "law-330": ("国务院令第330号", "国务院关于修改部分行政法规的决定"),
    "law-32": ("国务院令第32号", "城市道路管理条例"),
    "samr-53": ("国家市场监督管理总局令第53号", "市场监督管理行政处罚程序规定"),
    "samr-52": ("国家市场监督管理总局令第52号", "市场监督管理行政许可程序暂行规定"),
    "pres-81": ("中华人民共和国主席令第八十一号", "中华人民共和国基本医疗卫生与健康促进法"),
    "pres-18": ("中华人民共和国主席令第18号", "中华人民共和国个人所得税法修正案"),
    "hz-50": ("杭州市人民代表大会常务委员会公告第50号", "杭州市生活垃圾管理条例"),
    "hz-5": ("杭州市人民代表大会常务委员会公告第5号", "杭州市城市绿化管理条例"),
    "hzgov-317": ("杭州市人民政府令第317号", "杭州市公共数据管理办法"),
    "tax-2019-1": ("国家税务总局公告2019年第1号", "关于增值税发票管理等有关事项的公告"),
    "tax-2018-1": ("国家税务总局公告2018年第1号", "关于税收协定执行问题的公告"),
    "joint-39": ("财政部 税务总局公告2019年第39号", "关于深化增值税改革有关政策的公告"),
    "joint-fj": ("闽财教〔2020〕5号、闽教财〔2020〕3号", "关于下达2020年义务教育补助经费的通知"),
    "letter": ("国办函〔2020〕5号", "国务院办公厅关于同意建立联席会议制度的函"),
    "notice": ("南政办〔2024〕17号", "南安市人民政府办公室关于做好防汛工作的通知"),
    "notice-1": ("南政办〔2024〕1号", "南安市人民政府办公室关于春节假期安排的通知"),
    "notice-171": ("南政办〔2024〕171号", "南安市人民政府办公室关于秋季防火工作的通知"),
}

# (what a reader types, the document it must find first)
FORMS = [
    ("国务院令第329号", "law-329"), ("国令第329号", "law-329"), ("中华人民共和国国务院令第329号", "law-329"),
    ("国务院令 第 329 号", "law-329"), ("国务院令第３２９号", "law-329"), ("國務院令第329號", "law-329"),
    ("国务院令第329", "law-329"), ("国令第32号", "law-32"), ("国务院令（第330号）", "law-330"),
    ("国家市场监督管理总局令第53号", "samr-53"), ("市场监管总局令第53号", "samr-53"),
    ("国家市场监督管理总局令第５２号", "samr-52"),
    ("主席令第81号", "pres-81"), ("中华人民共和国主席令第八十一号", "pres-81"), ("主席令第十八号", "pres-18"),
    ("杭州市人民代表大会常务委员会公告第50号", "hz-50"), ("杭州市人大常委会公告第50号", "hz-50"),
    ("杭州市人大常委会公告第５号", "hz-5"), ("杭州市政府令第317号", "hzgov-317"),
    ("国家税务总局公告2019年第1号", "tax-2019-1"), ("税务总局公告2019年第1号", "tax-2019-1"),
    ("国家税务总局公告２０１８年第１号", "tax-2018-1"),
    ("财政部 税务总局公告2019年第39号", "joint-39"), ("财政部税务总局公告2019年第39号", "joint-39"),
    ("税务总局公告2019年第39号", "joint-39"),
    ("闽财教〔2020〕5号", "joint-fj"), ("闽教财[2020]3号", "joint-fj"), ("闽教财（２０２０）３号", "joint-fj"),
    ("国办函〔2020〕5号", "letter"), ("国办函[2020]5号", "letter"),
    ("南政办〔2024〕17号", "notice"), ("南政办【２０２４】１７号", "notice"), ("南政办 (2024) 第17号", "notice"),
    ("南政办2024第17号", "notice"), ("南政办〔2024〕1号", "notice-1"), ("南政办[2024]171号", "notice-171"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("docno")
    base = [r for r in generate_sample(300, seed=21) if "op" not in r]
    records = list(base)
    for i, (rid, (doc_no, title)) in enumerate(LAWS.items()):
        records.append(dict(base[i], id=rid, doc_no=doc_no, title=title, published=f"2019-0{1 + i % 9}-1{i % 10}T09:00:00+08:00",
                            body_html=f"<p>{title}已经通过，现予公布。</p>"))
        # Newer documents that cite the number in their body and title: only the exact 文号 tells.
        records.append(dict(base[i + 20], id=f"cite-{rid}", doc_no=None, title=f"关于学习贯彻{doc_no}的通知",
                            published="2025-06-01T09:00:00+08:00", body_html=f"<p>根据{doc_no}，{title}。</p>"))
    build_site(records, root / "site", full=True, config=BuildConfig(plugins=[SearchIndexPlugin()]),
               state_dir=root / "state")
    return root / "site"


def test_every_stored_form_is_a_valid_doc_no():
    """Editors and the importer keep these numbers (normalized), never refuse them."""
    for doc_no, _title in LAWS.values():
        assert identifiers.normalize_doc_no(doc_no)
    assert identifiers.normalize_doc_no("国务院令 第３２９号") == "国务院令第329号"
    assert identifiers.normalize_doc_no("财政部  税务总局公告2019年 第39号") == "财政部 税务总局公告2019年第39号"
    assert identifiers.normalize_doc_no("闽财教[2020]5号，闽教财（2020）3号") == "闽财教〔2020〕5号、闽教财〔2020〕3号"


@pytest.mark.parametrize(("typed", "rid"), FORMS)
def test_doc_no_form_ranks_its_document_first(site, typed, rid):
    res = SearchIndex(site).search(Query(q=typed))
    assert res.results and res.results[0]["id"] == rid, [r["id"] for r in res.results[:3]]


def test_api_and_cli_answer_doc_nos_like_the_engine(site):
    client = Client()
    with override_settings(GOVSITE_SITE_DIR=site):
        for typed, rid in FORMS[::3]:
            data = client.get("/api/search", {"q": typed}).json()
            assert data["results"][0]["id"] == rid, typed
            out = StringIO()
            call_command("search", typed, "--json", "--site-dir", str(site), stdout=out)
            assert json.loads(out.getvalue())["results"][0]["id"] == rid, typed


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)")
def test_doc_no_forms_in_the_browser_first_and_small(site):
    """Typed into the static page: the document first, in at most 20 KB per query (after the page)."""
    entries = "performance.getEntriesByType('resource').map(e => e.transferSize)"
    index = SearchIndex(site)
    urls = {rid: index.search(Query(q=LAWS[rid][0])).results[0]["url"] for _typed, rid in FORMS}
    assert len(set(urls.values())) == len(urls)
    with StaticServer(site) as server, Chromium() as chromium:
        chromium.navigate(server.url + "/search/",
                          wait_for="document.documentElement.classList.contains('search-ready')")
        chromium.evaluate("performance.setResourceTimingBufferSize(10000)")
        for typed, rid in FORMS[::4]:
            seen = len(chromium.evaluate(entries))
            chromium.evaluate("document.getElementById('search-q').value = ''")
            chromium.type_text("#search-q", typed)
            chromium.wait(f"govsiteSearch.last && govsiteSearch.last.query === {json.dumps(typed)}")
            first = chromium.evaluate("document.querySelector('.search-hit-title a').getAttribute('href')")
            assert first == urls[rid], typed
            sizes = chromium.evaluate(entries)[seen:]
            assert sum(sizes) <= 20_000, (typed, sizes)
