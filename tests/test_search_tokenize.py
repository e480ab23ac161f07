"""Folding and term extraction: what makes 繁體, full-width input and any 文号 spelling match."""

from search_index.format import fnv1a
from search_index.tokenize import bigrams, doc_no_term, document_terms, fold, query_terms


def test_fold_traditional_fullwidth_and_case():
    assert fold("國務院辦公廳關於營商環境") == "国务院办公厅关于营商环境"
    assert fold("ＡＢＣ２０２４年") == "abc2024年"
    assert fold("南政办〔２０２４〕１２号") == "南政办〔2024〕12号"


def test_bigrams_overlap_and_skip_single_characters():
    assert bigrams("营商环境") == ["营商", "商环", "环境"]
    assert bigrams("税 营商") == ["营商"]


def test_doc_no_brackets_all_give_the_same_key():
    spellings = ["南政办〔2024〕12号", "南政办[2024]12号", "南政办(2024)12号", "南政办（2024）12号",
                 "南政办【2024】12号", "南政办２０２４１２号", "南政办 〔2024〕 第12号", "南政辦〔2024〕12號"]
    keys = {doc_no_term(s) if "辦" not in s else doc_no_term(fold(s)) for s in spellings}
    assert keys == {"#n:南政办202412号"}
    for s in spellings:
        assert query_terms(s)["exact"] == ["#n:南政办202412号"], s


def test_index_no_is_an_exact_term():
    terms = query_terms("11350583000001/2024-00012")
    assert terms["exact"] == ["#i:11350583000001/2024-00012"]


def test_query_and_document_use_the_same_terms():
    record = {"id": "x", "title": "關於優化營商環境的通知", "doc_no": "南政办[2024]3号", "index_no": "113/2024-00001",
              "body_html": "<p>全市ＧＤＰ增长</p><script>alert('营商')</script>", "published": "2024-01-02T00:00:00+08:00",
              "organ": "南安市人民政府办公室", "validity": "有效"}
    tf, in_title, extra = document_terms(record)
    q = query_terms("关于优化营商环境")
    assert set(q["required"]) <= set(tf) and set(q["required"]) <= in_title
    assert "gdp" in tf and tf["营商"] == 1  # the script body is not indexed
    assert "#n:南政办20243号" in extra and "w:营商" in extra and "f:v:有效" in extra
    assert set(query_terms("南政办〔2024〕3号")["exact"]) <= extra


def test_lone_and_cut_numbers_do_not_reject_matches():
    q = query_terms("22年外事接待")
    assert "22" not in q["required"] and "22" in q["words"]
    assert query_terms("2024")["required"] == ["2024"]


def test_fnv1a_matches_the_javascript_client():
    # Values computed by search.js's fnv1a (Math.imul over UTF-8 bytes).
    assert fnv1a("") == 0x811C9DC5
    assert fnv1a("a") == 0xE40C292C


def test_fast_document_terms_equal_the_reference():
    """The build counts bigrams with numpy (document_arrays); it must give exactly document_terms."""
    from cms.demo.sample import generate_sample
    from search_index.tokenize import bigram_id, bigram_term, document_arrays

    records = [r for r in generate_sample(150, seed=3) if "op" not in r]
    records.append({"id": "edge", "title": "關於優化營商環境的通知ＡＢＣ①號", "doc_no": "南政办[2024]3号",
                    "index_no": "113/2024-00001", "keywords": ["營商", "GDP增长"], "summary": "",
                    "body_html": "<p>全市ＧＤＰ增长 &amp; 𠀀𠀁 兀兀 ⼀⼁ 12ab</p><script>alert('营商')</script>",
                    "attachments": [{"title": "附件：名單"}], "published": "2024-01-02", "validity": "有效"})
    for record in records:
        tf, in_title, extra = document_terms(record)
        fast = document_arrays(record)
        counts = {bigram_term(t): c for t, c in zip(fast.bigram_ids.tolist(), fast.bigram_counts.tolist(), strict=True)}
        assert {**counts, **fast.words} == dict(tf), record["id"]
        fast_title = {bigram_term(t) for t, f in zip(fast.bigram_ids.tolist(), fast.bigram_in_title.tolist(),
                                                     strict=True) if f}
        assert fast_title | (fast.words_in_title & set(fast.words)) == {t for t in in_title if t in tf}
        assert fast.extra == extra
        assert fast.length == sum(tf.values())
    assert bigram_term(bigram_id("营商")) == "营商" and bigram_id("ab") is None and bigram_id("营") is None


def test_title_year_bits_hold_the_first_year_and_whether_there_are_more():
    """The year bits stored with title postings, and which phrases they fit (the title check)."""
    from search_index.format import phrase_years, title_year_bits, title_year_fits

    assert title_year_bits(["2013", "5"]) == 14 << 2 and title_year_bits(["2000"]) == 1 << 2
    assert title_year_bits(["2016", "2018"]) == 17 << 2 | 1  # a plan over several years: the first, flagged
    assert title_year_bits(["1998"]) == 0 and title_year_bits(["2063", "12"]) == 0 and title_year_bits([]) == 0
    assert title_year_bits(["2013", "2013"]) == 14 << 2
    plan, other_plan, year = title_year_bits(["2016", "2018"]), title_year_bits(["2019", "2021"]), title_year_bits(["2013"])
    assert phrase_years("013年部门决算公")[0] == {14}  # a year cut at the start
    assert title_year_fits(year, phrase_years("013年部门决算公"))
    assert not title_year_fits(title_year_bits(["2023"]), phrase_years("013年部门决算公"))
    assert title_year_fits(plan, phrase_years("行动计划（2016—2018"))
    assert not title_year_fits(other_plan, phrase_years("行动计划（2016—2018"))
    assert title_year_fits(plan, phrase_years("—2018年）"))  # starts after the first year
    assert title_year_fits(plan, phrase_years("行动计划")) and title_year_fits(0, phrase_years("市2013年"))
