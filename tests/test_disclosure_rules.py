import pytest

from content_models import identifiers


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
