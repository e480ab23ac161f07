from pathlib import Path

import pytest

from cms.admin.forms import KeywordsField
from cms.exchange.importer import _keywords
from content_models import identifiers
from content_models.record import split_keywords


@pytest.mark.parametrize(
    "raw",
    ["南政办〔2024〕12号", "南政办[2024]12号", "南政办(2024)12号", "南政办（2024）12号", "南政办【2024】12号",
     "南政办［２０２４］１２号", " 南政办 〔2024〕 12号 "],
)
def test_doc_no_bracket_forms_normalize_to_the_official_one(raw):
    assert identifiers.normalize_doc_no(raw) == "南政办〔2024〕12号"


@pytest.mark.parametrize("raw", ["", "2024年12号", "南政办2024-12", "南政办〔24〕12号"])
def test_doc_no_that_is_not_a_document_number_is_refused_in_chinese(raw):
    with pytest.raises(identifiers.InvalidIdentifier, match="发文字号"):
        identifiers.normalize_doc_no(raw)


def test_doc_no_key_matches_however_brackets_are_typed():
    assert identifiers.doc_no_key("南政办〔2024〕12号") == identifiers.doc_no_key("南政办[2024]第12号")
    assert identifiers.doc_no_key("南政办 2024 12号") == identifiers.doc_no_key("南政办（2024）12号")


def test_index_no_round_trip():
    no = identifiers.make_index_no("1135058300001", 2024, 12)
    assert no == "1135058300001/2024-00012"
    assert identifiers.parse_index_no(no) == ("1135058300001", 2024, 12)
    with pytest.raises(identifiers.InvalidIdentifier, match="索引号"):
        identifiers.parse_index_no("2024-12")


TYPED = ["南政办〔2024〕12号", "南政办[2024]12号", "南政办(2024)12号", "南政办（2024）12号", "南政办【2024】12号",
         "南政办［２０２４］１２号", " 南政办 〔2024〕 12号 ", "南政办﹝2024﹞12号", "南政办〖2024〗第12号", "南政办{2024}12号",
         "南政办<2024>12号", "南政办《2024》12号", "南政办〔2024]12号"]


@pytest.mark.parametrize("typed", TYPED)
def test_admin_search_reads_a_doc_no_as_the_importer_stores_it(typed):
    """One copy of the 文号 rules: the search variants start with what the importer and the form store."""
    stored = identifiers.normalize_doc_no(typed)
    variants = identifiers.doc_no_search_variants(typed)
    assert variants[0] == stored if typed != stored else variants == []  # the query itself is searched anyway
    assert identifiers.doc_no_key(typed) == identifiers.doc_no_key(stored)


@pytest.mark.parametrize(
    ("typed", "variants"),
    [("南政办[2024]", ["南政办〔2024〕"]), ("南政办(2024", ["南政办〔2024〕"]), ("南政办202412号", ["南政办〔2024〕12号"]),
     ("南政办2024第12号", ["南政办〔2024〕12号"]), ("乡村振兴", []), ("12345号", [])],
)
def test_admin_search_reads_partial_and_bracketless_doc_nos(typed, variants):
    assert identifiers.doc_no_search_variants(typed) == variants


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("国令第329号", "国务院令第329号"), ("国务院令第329号", "国令第329号"), ("市场监管总局令第53号", "国家市场监督管理总局令第53号"),
     ("杭州市人大常委会公告第50号", "杭州市人民代表大会常务委员会公告第50号"), ("南政办〔2024〕12号", None)],
)
def test_admin_search_knows_the_short_organ_names_of_the_one_list(typed, stored):
    """The admin's substring search finds a 文号 typed with the short organ name, or the long one."""
    variants = identifiers.doc_no_search_variants(typed)
    if stored is None:
        assert not any(long in v for long, _short in identifiers.ORGAN_SHORT_FORMS for v in variants)
    else:
        assert stored in variants


@pytest.mark.parametrize(
    "typed", ["1135058300001/2024-00012", "１１３５０５８３００００１／２０２４－０００１２", "1135058300001 / 2024-00012",
              "abcd/2024-1", "12/2024-1", "1135058300001/24-00012", "1135058300001/2024-123456789"],
)
def test_admin_search_reads_an_index_no_as_the_importer_does(typed):
    try:
        identifiers.parse_index_no(typed.replace(" ", ""))
        valid = True
    except identifiers.InvalidIdentifier:
        valid = False
    assert (identifiers.index_no_in_query(typed) is not None) == valid


def test_the_bracket_rules_have_one_python_home():
    """文号 brackets are listed in content_models/identifiers.py only (search.js mirrors them)."""
    root = Path(__file__).resolve().parent.parent
    holders = sorted(
        str(p.relative_to(root))
        for package in ("content_models", "cms", "site_generator", "search_index", "publish", "services")
        for p in (root / package).rglob("*.py")
        if "﹝" in p.read_text("utf-8") or "〖" in p.read_text("utf-8")
    )
    assert holders == ["content_models/identifiers.py"]


@pytest.mark.parametrize("typed", ["乡村振兴，农业、乡村振兴 水利;;", " 乡村振兴\t农业；水利 ", "乡村振兴,农业,水利"])
def test_keywords_typed_on_one_line_read_the_same_in_the_admin_and_the_import(typed):
    assert split_keywords(typed) == ["乡村振兴", "农业", "水利"]
    assert KeywordsField(required=False).to_python(typed) == split_keywords(typed)
    assert _keywords({"keywords": typed}) == split_keywords(typed)
