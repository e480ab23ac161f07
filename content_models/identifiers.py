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
# Laws, regulations and announcements are numbered without a bracketed year: 国务院令第329号,
# 杭州市人民代表大会常务委员会公告第50号, 国家税务总局公告2019年第1号, 财政部 税务总局公告2019年第39号
# (a joint number: organs separated by a space), 主席令第八十一号 (serial in Chinese numerals).
_ORDINAL_DOC_NO = re.compile(
    r"^(?P<prefix>[\u3400-\u9fffA-Za-z·\-]+(?: [\u3400-\u9fffA-Za-z·\-]+)*?)(?:(?P<year>\d{4})年)?"
    r"第(?P<serial>\d+|[零〇一二两三四五六七八九十百千]+)号$"
)
# Several numbers in one field (a document issued jointly, each organ numbering it): 、，,；;
_JOINT_SEPARATORS = re.compile(r"[、，,；;]+")
_INDEX_NO = re.compile(r"^(?P<organ>[0-9A-Za-z\-]{4,32})/(?P<year>\d{4})-(?P<serial>\d{1,8})$")


class InvalidIdentifier(ValueError):
    """A 发文字号 or 索引号 that cannot be read; the message is shown to editors."""


def fold_width(text: str) -> str:
    """Fold full-width ASCII (０-９, Ａ-Ｚ, full-width space) to half-width; keep CJK as is."""
    return unicodedata.normalize("NFKC", text) if text else text


def normalize_doc_no(raw: str) -> str:
    """Return the canonical form of a 发文字号: brackets 〔〕, half-width digits, no spaces.

    ``南政办[2024]12号``, ``南政办（2024）12号``, ``南政办【２０２４】１２号`` → ``南政办〔2024〕12号``;
    ``国务院令 第３２９号`` → ``国务院令第329号``; several numbers (a joint document) are joined by 、.
    Raises InvalidIdentifier when the text is not a document number at all.
    """
    if raw is None:
        raise InvalidIdentifier("发文字号为空")
    parts = [p for p in _JOINT_SEPARATORS.split(fold_width(raw)) if p.strip()]
    if not parts:
        raise InvalidIdentifier("发文字号为空")
    return "、".join(_normalize_one_doc_no(part, raw) for part in parts)


def _normalize_one_doc_no(part: str, raw: str) -> str:
    text = "".join(part.split())
    # NFKC turns full-width （） into ASCII (); the year pattern accepts every bracket pair.
    text = _YEAR_IN_BRACKETS.sub(lambda m: f"〔{m.group(1)}〕", text, count=1)
    if _DOC_NO.match(text):
        return text
    # 令/公告 numbers: the spaces between joint organs stay (one each), brackets around 第N号 go.
    ordinal = " ".join(_BRACKET.sub(" ", part).split())
    ordinal = re.sub(r" ?(\d{4}年)? ?第 ?(\S+?) ?号$", r"\1第\2号", ordinal)
    if _ORDINAL_DOC_NO.match(ordinal):
        return ordinal
    raise InvalidIdentifier(f"发文字号格式不正确：“{raw}”，应为“机关代字〔年份〕序号号”（例如 南政办〔2024〕12号）"
                            f"或“机关名称令第N号”（例如 国务院令第329号）")


# Short forms of organ names, as people type them in a 文号 (国令第329号 for 国务院令第329号): the
# one list. A 文号's key (doc_no_key) replaces each long form by its short form, in this order, so
# either spelling gives the same key; the search index ships the list to the browser (manifest).
ORGAN_SHORT_FORMS: tuple[tuple[str, str], ...] = (
    ("中华人民共和国", ""),  # 中华人民共和国主席令 → 主席令, 中华人民共和国国务院令 → 国务院令
    ("国务院令", "国令"),
    ("全国人民代表大会常务委员会", "全国人大常委会"),
    ("人民代表大会常务委员会", "人大常委会"),
    ("人民代表大会", "人大"),
    ("人民政府", "政府"),
    ("国家市场监督管理总局", "市场监管总局"),
    ("国家税务总局", "税务总局"),
    ("国家发展和改革委员会", "国家发展改革委"),
    ("人力资源和社会保障部", "人力资源社会保障部"),
    ("住房和城乡建设部", "住房城乡建设部"),
    ("国家卫生健康委员会", "国家卫生健康委"),
    ("生态环境保护", "生态环境"),
)
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_SERIAL = re.compile(r"第([零〇一二两三四五六七八九十百千]+)号")
# A key that is a whole 文号: an organ part with a Chinese character, then the digits (号 optional
# while typing). Anything else typed in a search box is not looked up as a 文号.
_TYPED_AS_DOC_NO = re.compile(rf"[号第{re.escape(BRACKETS_OPEN + BRACKETS_CLOSE)}]")
_DOC_NO_KEY_LIKE = re.compile(r"^(?=[^0-9]*[\u3400-\u9fff])[\u3400-\u9fffa-zA-Z·\-]+[0-9]+号?$")


def chinese_number(text: str) -> int | None:
    """``八十一`` → 81, ``一百零五`` → 105, ``二〇二四`` → 2024 (digit by digit); None if not a number."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    if not any(c in _CN_UNITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
    return total + (digit or 0)


def doc_no_key(raw: str) -> str:
    """A bracket-free key for matching a 发文字号 however it was typed: ``南政办202412号``.

    Width, spaces, brackets and 第 are dropped, 年 between a year and the serial too
    (``公告2019年第1号`` → ``公告20191号``), a serial in Chinese numerals becomes digits, and
    long organ names become their short forms (ORGAN_SHORT_FORMS: ``国务院令第329号`` → ``国令329号``).
    Works on partial input too (no validation), so a search box can use it. search.js mirrors it.
    """
    text = _BRACKET.sub("", "".join(fold_width(raw or "").split()))
    text = _CN_SERIAL.sub(lambda m: f"第{n}号" if (n := chinese_number(m.group(1))) is not None else m.group(), text)
    for long, short in ORGAN_SHORT_FORMS:
        text = text.replace(long, short)
    text = re.sub(r"(\d{4})年(?=第?\d)", r"\1", text)
    return re.sub(r"第(?=\d)", "", text)


def doc_no_keys(raw: str) -> list[str]:
    """The keys of every number in a 发文字号 field: a joint document's field holds several
    (``闽财教〔2020〕5号、闽教财〔2020〕3号``; ``财政部 税务总局公告2019年第39号`` is also found as
    ``税务总局公告2019年第39号``), each found alone; the whole field's key comes first."""
    text = fold_width(raw or "").strip()
    if not text:
        return []
    keys = [doc_no_key(text)]
    for part in _JOINT_SEPARATORS.split(text):
        words = part.split()
        for i in range(len(words)):  # the number of each organ of a space-separated joint number
            key = doc_no_key("".join(words[i:]))
            if key and _DOC_NO_KEY_LIKE.match(key):
                keys.append(key)
    return [k for k in dict.fromkeys(keys) if k]


def split_doc_nos(raw: str) -> list[str]:
    """A 发文字号 field cut into its numbers and the separators between them, in order (joined,
    they give the field back): the search result line marks the number that was searched for."""
    return re.split(f"({_JOINT_SEPARATORS.pattern})", raw or "")


def doc_no_query_keys(query: str) -> list[str]:
    """The 文号 keys a search query stands for (one per number typed), or [] when it is not a 文号.

    Only text typed like one counts (a 号, a 第 or a bracket: ``营商环境 2024`` is no 文号); a
    number still being typed without its 号 (``国务院令第329``) is read as complete."""
    if not _TYPED_AS_DOC_NO.search(query or ""):
        return []
    keys = []
    for key in doc_no_keys(query):
        if _DOC_NO_KEY_LIKE.match(key):
            keys.append(key if key.endswith("号") else key + "号")
    return list(dict.fromkeys(keys))


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
    # An organ's short name typed for its long one (国令第329号 for 国务院令第329号), or the other
    # way round: the one list, ORGAN_SHORT_FORMS, that the 文号 keys and the search index use.
    for spelled in [text, *variants]:
        for long, short in ORGAN_SHORT_FORMS:
            if short and short in spelled and long not in spelled:
                variants.append(spelled.replace(short, long))
            elif long in spelled and short:
                variants.append(spelled.replace(long, short))
    return list(dict.fromkeys(v for v in variants if v and v != query))


def index_no_in_query(query: str) -> str | None:
    """The 索引号 a search query is, typed with full-width characters or spaces, else None."""
    index_no = fold_width(query).replace(" ", "")
    return index_no if _INDEX_NO.match(index_no) else None
