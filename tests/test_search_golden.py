"""The browser's query rules equal Python's: search.js's queryTerms against a golden file, without a browser.

``tests/golden/search_query_terms.json`` holds, for each query, the terms Python's
``search_index.tokenize.query_terms`` gives (文号 of every form, 繁體, full-width, cut numbers,
索引号). Python must give exactly those, and so must search.js, run here in QuickJS with the
manifest's short organ names and the t2s map a build ships. When a rule changes on purpose,
regenerate the file with ``GOVSITE_WRITE_GOLDEN=1`` and read its diff.
"""

import json
import os
from pathlib import Path

import pytest
import quickjs

from content_models.identifiers import ORGAN_SHORT_FORMS
from search_index.tokenize import query_terms, t2s_map

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "search_query_terms.json"
SCRIPT = ROOT / "themes" / "default" / "static" / "search" / "search.js"

QUERIES = [
    # 文号 with a bracketed year, every bracket, none, spaces, full-width digits, 第
    "南政办〔2024〕12号", "南政办[2024]12号", "南政办(2024)12号", "南政办（2024）12号", "南政办【2024】12号",
    "南政办２０２４１２号", "南政办 〔2024〕 第12号", "南政辦〔2024〕12號", "南政办〔２０２４〕１７号", "南政办(2024",
    "国办函〔2020〕5号", "南政办 2024 12号",
    # 令 / 公告 / 函 / 通知 numbers, organ names of any length, short forms, Chinese numerals
    "国务院令第329号", "国令第329号", "中华人民共和国国务院令 第３２９号", "国务院令第329", "國務院令第329號",
    "国家市场监督管理总局令第53号", "市场监管总局令第53号", "主席令第八十一号", "中华人民共和国主席令（第81号）",
    "杭州市人民代表大会常务委员会公告第50号", "杭州市人大常委会公告第50号", "国家税务总局公告2019年第1号",
    "税务总局公告2019年第1号", "杭州市人民政府令第３１７号", "南安市人民政府办公室通知第3号",
    # joint numbers
    "财政部 税务总局公告2019年第39号", "闽财教〔2020〕5号、闽教财〔2020〕3号",
    # not 文号: words, cut numbers, fragments that start inside a year or a word
    "营商环境", "營商環境", "关于进一步加强", "乡村振兴 2024", "22年外事接待", "2024", "013年部门决算公",
    "人所得税汇算工作的通", "营商环境2024", "2024年工作要点", "ＧＤＰ增长", "政府信息公开年度报告",
    # 索引号
    "11350583000001/2024-00012", "１１３５０５８３００００１／２０２４－０００１２",
]


def _python_terms() -> dict:
    return {q: query_terms(q) for q in QUERIES}


def _javascript_terms() -> dict:
    ctx = quickjs.Context()
    ctx.eval("var window = {}; var document = {readyState: 'complete', getElementById: function () { return null; }};")
    ctx.eval(SCRIPT.read_text(encoding="utf-8"))
    manifest = {"doc_no": {"short_forms": [list(p) for p in ORGAN_SHORT_FORMS]}}
    ctx.eval(f"window.govsiteSearch.useIndex({json.dumps(manifest)}, {json.dumps(t2s_map(), ensure_ascii=False)})")
    out = {}
    for q in QUERIES:
        got = json.loads(ctx.eval(f"JSON.stringify(window.govsiteSearch.queryTerms({json.dumps(q)}))"))
        got.pop("folded")
        out[q] = got
    return out


@pytest.fixture(scope="module")
def golden() -> dict:
    if os.environ.get("GOVSITE_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(_python_terms(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_golden_file_covers_every_query(golden):
    assert list(golden) == QUERIES


def test_python_query_terms_match_the_golden_file(golden):
    assert _python_terms() == golden


def test_javascript_query_terms_match_the_golden_file(golden):
    js = _javascript_terms()
    for q in QUERIES:
        assert js[q] == golden[q], q


def test_golden_file_holds_the_doc_no_keys_a_reader_expects(golden):
    """The file is not just whatever the code says: the 文号 forms fold to the keys of their document."""
    assert golden["国令第329号"]["exact"] == golden["国务院令第329号"]["exact"] == ["#n:国令329号"]
    assert golden["中华人民共和国国务院令 第３２９号"]["exact"] == golden["國務院令第329號"]["exact"] == ["#n:国令329号"]
    assert golden["国务院令第329"]["exact"] == ["#n:国令329号"]
    assert golden["主席令第八十一号"]["exact"] == golden["中华人民共和国主席令（第81号）"]["exact"] == ["#n:主席令81号"]
    assert golden["杭州市人民代表大会常务委员会公告第50号"]["exact"] == golden["杭州市人大常委会公告第50号"]["exact"]
    assert golden["国家税务总局公告2019年第1号"]["exact"] == golden["税务总局公告2019年第1号"]["exact"]
    assert golden["南政办〔２０２４〕１７号"]["exact"] == ["#n:南政办202417号"]
    assert len({tuple(golden[q]["exact"]) for q in QUERIES[:8]}) == 1
    assert golden["闽财教〔2020〕5号、闽教财〔2020〕3号"]["exact"] == ["#n:闽财教20205号", "#n:闽教财20203号"]
    for q in ("营商环境", "2024年工作要点", "013年部门决算公", "乡村振兴 2024"):
        assert golden[q]["exact"] == [], q
