import pytest

from content_models import disclosure


@pytest.mark.parametrize(
    "raw",
    ["南政办〔2024〕12号", "南政办[2024]12号", "南政办(2024)12号", "南政办（2024）12号", "南政办【2024】12号",
     "南政办［２０２４］１２号", " 南政办 〔2024〕 12号 "],
)
def test_doc_no_bracket_forms_normalize_to_the_official_one(raw):
    assert disclosure.normalize_doc_no(raw) == "南政办〔2024〕12号"


@pytest.mark.parametrize("raw", ["", "2024年12号", "南政办2024-12", "南政办〔24〕12号"])
def test_doc_no_that_is_not_a_document_number_is_refused_in_chinese(raw):
    with pytest.raises(disclosure.InvalidIdentifier, match="发文字号"):
        disclosure.normalize_doc_no(raw)


def test_doc_no_key_matches_however_brackets_are_typed():
    assert disclosure.doc_no_key("南政办〔2024〕12号") == disclosure.doc_no_key("南政办[2024]第12号")
    assert disclosure.doc_no_key("南政办 2024 12号") == disclosure.doc_no_key("南政办（2024）12号")


def test_index_no_round_trip():
    no = disclosure.make_index_no("1135058300001", 2024, 12)
    assert no == "1135058300001/2024-00012"
    assert disclosure.parse_index_no(no) == ("1135058300001", 2024, 12)
    with pytest.raises(disclosure.InvalidIdentifier, match="索引号"):
        disclosure.parse_index_no("2024-12")
