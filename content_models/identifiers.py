"""Rules of the disclosure identifiers: 发文字号 (document number) and 索引号 (index number).

Plain Python so that the importer, the admin forms, the site generator and the search index
apply exactly the same rules.
"""

import re
import unicodedata

# Every bracket pair that legacy systems and people type around the year of a 发文字号 (the
# official 〔〕 included). The JavaScript mirror of the search rules (search.js) copies this set.
BRACKETS_OPEN = "〔[(（【［﹝〖{｛<《"
BRACKETS_CLOSE = "〕])）】］﹞〗}｝>》"
_BRACKET = re.compile(rf"[{re.escape(BRACKETS_OPEN + BRACKETS_CLOSE)}]")
# A year in any brackets; the closing one may still be missing at the end of what was typed.
_YEAR_IN_BRACKETS = re.compile(
    rf"[{re.escape(BRACKETS_OPEN)}]\s*(\d{{4}})\s*(?:[{re.escape(BRACKETS_CLOSE)}]|$)"
)
_ORGAN_PREFIX = r"(?P<prefix>[\u3400-\u9fffA-Za-z·\-]+?)"  # the issuing organ's short name (机关代字)
_DOC_NO = re.compile(rf"^{_ORGAN_PREFIX}〔(?P<year>\d{{4}})〕第?(?P<serial>\d+)号$")
_INDEX_NO = re.compile(r"^(?P<organ>[0-9A-Za-z\-]{4,32})/(?P<year>\d{4})-(?P<serial>\d{1,8})$")


class InvalidIdentifier(ValueError):
    """A 发文字号 or 索引号 that cannot be read; the message is shown to editors."""


def fold_width(text: str) -> str:
    """Fold full-width ASCII (０-９, Ａ-Ｚ, full-width space) to half-width; keep CJK as is."""
    return unicodedata.normalize("NFKC", text) if text else text


def normalize_doc_no(raw: str) -> str:
    """Return the canonical form of a 发文字号: brackets 〔〕, half-width digits, no spaces.

    ``南政办[2024]12号``, ``南政办（2024）12号``, ``南政办【２０２４】１２号`` → ``南政办〔2024〕12号``.
    Raises InvalidIdentifier when the text is not a document number at all.
    """
    if raw is None:
        raise InvalidIdentifier("发文字号为空")
    text = "".join(fold_width(raw).split())
    # NFKC turns full-width （） into ASCII (); the year pattern accepts every bracket pair.
    text = _YEAR_IN_BRACKETS.sub(lambda m: f"〔{m.group(1)}〕", text, count=1)
    if not _DOC_NO.match(text):
        raise InvalidIdentifier(f"发文字号格式不正确：“{raw}”，应为“机关代字〔年份〕序号号”，例如 南政办〔2024〕12号")
    return text


def doc_no_key(raw: str) -> str:
    """A bracket-free key for matching a 发文字号 however it was typed: ``南政办202412号``.

    Works on partial input too (no validation), so a search box can use it.
    """
    text = _BRACKET.sub("", "".join(fold_width(raw or "").split()))
    return re.sub(r"(\d{4})第(\d)", r"\1\2", text)


def parse_index_no(raw: str) -> tuple[str, int, int]:
    """Split a 索引号 ``<organ code>/<year>-<serial>`` into its parts, or raise InvalidIdentifier."""
    m = _INDEX_NO.match(fold_width(raw or "").strip())
    if not m:
        raise InvalidIdentifier(f"索引号格式不正确：“{raw}”，应为“机构代码/年份-流水号”，例如 1135058300001/2024-00012")
    return m.group("organ"), int(m.group("year")), int(m.group("serial"))


def make_index_no(organ_code: str, year: int, serial: int) -> str:
    """Compose a 索引号 from the organ code, the year and the serial (five digits, zero-padded)."""
    return f"{organ_code}/{year:04d}-{serial:05d}"


# -- matching what people type in a search box -------------------------------------------------
# (the admin's document search, ``cms.admin.search``)

# Typed without brackets, a 文号's year must look like one (19xx, 20xx) and its serial be short.
_DOC_NO_WITHOUT_BRACKETS = re.compile(rf"^{_ORGAN_PREFIX}(?P<year>(?:19|20)\d{{2}})第?(?P<serial>\d{{1,5}})号?$")


def doc_no_search_variants(query: str) -> list[str]:
    """The stored (〔〕) spellings a 文号-like query may stand for, most specific first.

    ``南政办[2024]12号`` → ``南政办〔2024〕12号``; ``南政办(2024`` → ``南政办〔2024〕``;
    ``南政办202412号`` → ``南政办〔2024〕12号``. Empty when the query does not look like a 文号.
    """
    text = "".join(fold_width(query or "").split())
    variants: list[str] = []
    try:
        variants.append(normalize_doc_no(text))
    except InvalidIdentifier:
        pass
    bracketed = _YEAR_IN_BRACKETS.sub(lambda m: f"〔{m.group(1)}〕", text, count=1)
    if bracketed != text:
        variants.append(bracketed)
    m = _DOC_NO_WITHOUT_BRACKETS.match(doc_no_key(text))
    if m and not variants:
        variants.append(f"{m['prefix']}〔{m['year']}〕{m['serial']}号")
    return list(dict.fromkeys(v for v in variants if v and v != query))


def index_no_in_query(query: str) -> str | None:
    """The 索引号 a search query is, typed with full-width characters or spaces, else None."""
    index_no = fold_width(query).replace(" ", "")
    return index_no if _INDEX_NO.match(index_no) else None
