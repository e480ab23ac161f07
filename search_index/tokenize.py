"""Text folding and term extraction shared by the index build, the Python query engine and the JS client.

The browser cannot run rjieba or OpenCC, so the terms that decide *whether* a document matches are ones
the client can compute itself: overlapping CJK bigrams, lowercase ASCII words, the bracket-free 文号 key
and the exact 索引号. jieba search-mode words of the title and keywords are indexed as separate ``w:``
terms that only *boost* ranking; the client looks up every 2–8 character substring of the query as a
possible word, so no segmentation is needed at query time. ``static/search/search.js`` mirrors
``query_terms`` line for line; change both together.

Folding: NFKC (full-width → half-width), lowercase, and traditional → simplified with a per-character
map generated from OpenCC (opencc-purepy, t2s). The same map is shipped to the browser, so documents and
queries fold identically (character level, never phrase level).
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from operator import add

import numpy as np

from content_models.identifiers import doc_no_keys, doc_no_query_keys

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
ASCII_WORD = re.compile(r"[a-z0-9]+")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.S | re.I)
# Characters whose NFKC form changes a term (full-width letters/digits, compatibility ideographs,
# circled/parenthesized numbers, Kangxi radicals); other width differences are punctuation, i.e.
# separators either way, so most texts skip the (slow) normalization.
_NEEDS_NFKC = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uf900-\ufaff\u2f00-\u2fdf\u2460-\u24ff"
                         r"\u3200-\u33ff\u3000\u00a0\u2160-\u217f\ufe30-\ufe4f\uff5b-\uff65]")
_SPACES = re.compile(r"\s+")
_INDEX_NO_LIKE = re.compile(r"^[0-9a-z\-]{4,32}/\d{4}-\d{1,8}$")

MAX_ASCII_LEN = 24
MAX_WORD_SUBSTRING = 6
MAX_QUERY_WORDS = 30

# Term prefixes (bigrams and ASCII words carry no prefix).
WORD, DOC_NO, INDEX_NO, FACET = "w:", "#n:", "#i:", "f:"
# The bigrams of a title (and 文号) again, as ``t:`` terms: short lists that find a document by its
# title however old it is (query.py's title check). Their term ids are the bigram's id with
# TITLE_BIT set; their impact byte is ``format.title_year_bits`` of the title's ASCII words | validity flag.
TITLE = "t:"
TITLE_BIT = 1 << 31
FACET_KEYS = {"organ": "o", "category": "c", "topic": "t", "year": "y", "validity": "v"}


_T2S: dict[str, str] | None = None


def t2s_map() -> dict[str, str]:
    """Traditional → simplified, one character to one character, from OpenCC's t2s conversion."""
    global _T2S
    if _T2S is None:
        _T2S = _opencc_t2s()
    return _T2S


def set_t2s_map(mapping: dict[str, str]) -> None:
    """Use a map made earlier by ``t2s_map`` (cached in the build state, or read from the built
    index by the query engine) instead of loading OpenCC's dictionaries (~1 s) in this process."""
    global _T2S
    if _T2S is None:
        _T2S = dict(mapping)
        _t2s_table.cache_clear()


def _opencc_t2s() -> dict[str, str]:
    from opencc_purepy import OpenCC  # noqa: PLC0415 - only a fresh t2s table needs it

    converter = OpenCC("t2s")
    mapping: dict[str, str] = {}
    ranges = (range(0x3400, 0x4DC0), range(0x4E00, 0xA000), range(0xF900, 0xFB00))
    for block in ranges:
        chars = [chr(cp) for cp in block]
        # Convert one character per line: phrase rules must not apply, the browser works per character.
        converted = converter.convert("\n".join(chars)).split("\n")
        if len(converted) != len(chars):  # defensive: fall back to one call per character
            converted = [converter.convert(c) for c in chars]
        for src, dst in zip(chars, converted, strict=True):
            if dst != src and len(dst) == 1:
                mapping[src] = dst
    return mapping


@functools.cache
def _t2s_table() -> tuple[dict[int, str], re.Pattern[str]]:
    mapping = t2s_map()
    table = {ord(k): v for k, v in mapping.items()}
    needs = re.compile("[" + re.escape("".join(sorted(mapping))) + "]")
    return table, needs


def fold(text: str) -> str:
    """Fold width, case and script so that 繁體, full-width and upper-case input match the index."""
    if not text:
        return ""
    if _NEEDS_NFKC.search(text) and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    table, needs = _t2s_table()
    if needs.search(text):
        text = text.translate(table)
    return text


def folded_title(title: str, folded: str | None = None) -> str:
    """``fold(title)`` (or ``folded``, when the caller has it) where it differs from width and case
    folding alone, else "" (see format.META_FIELDS)."""
    folded = fold(title) if folded is None else folded
    return folded if folded != _fold_width_case(title) else ""


def html_to_text(body_html: str) -> str:
    """Plain text of a body for indexing and excerpts (scripts, styles and comments dropped)."""
    if not body_html:
        return ""
    return _SPACES.sub(" ", _strip_tags(body_html)).strip()


def _strip_tags(body_html: str) -> str:
    """The text of a body with its whitespace as it is (enough for terms: spaces separate anyway)."""
    return html.unescape(_TAGS.sub(" ", body_html)) if body_html else ""


def bigrams(folded: str) -> list[str]:
    """Overlapping CJK bigrams of every CJK run (a one-character run gives nothing)."""
    out: list[str] = []
    for run in CJK_RUN.findall(folded):
        out.extend(map(add, run, run[1:]))
    return out


def ascii_words(folded: str) -> list[str]:
    return [w for w in ASCII_WORD.findall(folded) if len(w) <= MAX_ASCII_LEN]


def match_terms(folded: str) -> list[str]:
    """Terms that decide a match (with repetitions, for term frequency)."""
    return bigrams(folded) + ascii_words(folded)


def title_words(folded_title: str, keywords: Iterable[str] = ()) -> set[str]:
    """jieba search-mode words (≥ 2 characters, CJK) of the title and keywords, as ``w:`` terms."""
    import rjieba  # noqa: PLC0415 - 0.24 s to import: only builds pay it, not queries

    words: set[str] = set()
    for text in (folded_title, *keywords):
        for run in CJK_RUN.findall(text):
            for w in rjieba.cut_for_search(run):
                if 2 <= len(w) <= MAX_WORD_SUBSTRING:
                    words.add(WORD + w)
    return words


def doc_no_term(doc_no: str | None) -> str | None:
    """The exact term of a whole 文号 field (see doc_no_terms for each number of a joint one)."""
    terms = doc_no_terms(doc_no)
    return terms[0] if terms else None


def doc_no_terms(doc_no: str | None) -> list[str]:
    """The exact ``#n:`` terms of a document's 文号: one per number (content_models.identifiers
    doc_no_keys, over the folded text, so 繁體 and full-width spellings give the same key)."""
    return [DOC_NO + key for key in doc_no_keys(fold(doc_no or ""))]


def index_no_term(index_no: str | None) -> str | None:
    value = fold(index_no or "").strip()
    return INDEX_NO + value if value else None


def facet_term(facet: str, value: str) -> str:
    return f"{FACET}{FACET_KEYS[facet]}:{value}"


def document_terms(record: dict) -> tuple[Counter[str], set[str], set[str]]:
    """(term frequencies over all text, terms of the title, exact-match and boost terms) of a record."""
    title = fold(record.get("title") or "")
    keywords = [fold(k) for k in record.get("keywords") or [] if k]
    parts = [
        title,
        fold(record.get("doc_no") or ""),
        fold(record.get("index_no") or ""),
        " ".join(keywords),
        fold(record.get("summary") or ""),
        fold(" ".join(a.get("title") or "" for a in record.get("attachments") or [])),
        fold(html_to_text(record.get("body_html") or "")),
        fold(record.get("attachment_text") or ""),  # the words inside its PDF/Word/Excel/OFD files
    ]
    tf = Counter(match_terms("\n".join(parts)))
    in_title = set(match_terms(title)) | set(match_terms(parts[1]))
    extra = title_words(title, keywords)
    extra.update(doc_no_terms(record.get("doc_no")))
    if term := index_no_term(record.get("index_no")):
        extra.add(term)
    extra.update(_facet_terms(record))
    return tf, in_title, extra


# -- the build's fast path ------------------------------------------------------------------------
# A bigram's term id is computed, not looked up: the code points CJK_RUN accepts are numbered densely
# (28,096 of them, < 2**15), and a bigram is ``dense(a) << 15 | dense(b)``, below BIGRAM_LIMIT. Other
# terms (ASCII words, w:, #, f:) get ids from the build's vocabulary, from BIGRAM_LIMIT up. This lets
# the build count the bigrams of a batch of documents with one numpy sort instead of a Counter of
# strings per document: ~4x less CPU, and no vocabulary entry for the 75 M bigram postings of 200k.
_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))  # the ranges of CJK_RUN
BIGRAM_LIMIT = 1 << 30


@functools.cache
def _code_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dense number of each code point or -1, code point of each dense number, t2s by code point)."""
    dense = np.full(0x110000, -1, dtype=np.int32)
    chars: list[int] = []
    for lo, hi in _CJK_RANGES:
        dense[lo:hi] = np.arange(len(chars), len(chars) + hi - lo, dtype=np.int32)
        chars.extend(range(lo, hi))
    t2s = np.arange(0x110000, dtype=np.uint32)
    for src, dst in t2s_map().items():
        t2s[ord(src)] = ord(dst)
    return dense, np.array(chars, dtype=np.uint32), t2s


@functools.cache
def _folded_dense() -> np.ndarray:
    """Dense number of each code point after traditional → simplified (-1: not CJK), one gather."""
    dense, _chars, t2s = _code_tables()
    return dense[t2s].astype(np.int16)


def bigram_term(tid: int) -> str:
    """The bigram of a term id below BIGRAM_LIMIT."""
    chars = _code_tables()[1]
    return chr(chars[tid >> 15]) + chr(chars[tid & 0x7FFF])


def bigram_id(term: str) -> int | None:
    """The computed term id of a CJK bigram, None for any other term."""
    if len(term) != 2:
        return None
    dense = _code_tables()[0]
    a, b = (int(dense[ord(c)]) for c in term)
    return (a << 15) | b if a >= 0 and b >= 0 else None


@dataclass
class DocumentTerms:
    """What ``document_terms`` returns, with the bigrams as sorted unique ids and their counts."""

    bigram_ids: np.ndarray  # uint32, sorted, unique
    bigram_counts: np.ndarray  # same length
    bigram_in_title: np.ndarray  # bool, same length
    words: Counter[str]  # ASCII words with their counts
    words_in_title: set[str]
    extra: set[str]
    body_text: str = ""  # the body without tags (whitespace not collapsed)

    @property
    def length(self) -> int:
        return int(self.bigram_counts.sum()) + sum(self.words.values())


def document_arrays(record: dict) -> DocumentTerms:
    """``document_terms`` computed with numpy: the same terms and counts (tested)."""
    return documents_arrays([record])[0]


def _fold_width_case(text: str) -> str:
    """The string part of ``fold``: width (NFKC) and case; traditional → simplified is done on the
    code points (it changes no ASCII word, and no length)."""
    if _NEEDS_NFKC.search(text) and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def _bigram_keys(texts: list[str]) -> np.ndarray:
    """``doc << 30 | bigram id`` of every bigram of every text (doc = position in ``texts``), in one
    pass over all texts joined by newlines (a newline is no CJK character, so no bigram spans two)."""
    if not texts:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)
    d = _folded_dense()[codes]
    pair = (d[:-1] >= 0) & (d[1:] >= 0)
    ids = (d[:-1].astype(np.uint64) << np.uint64(15)) | d[1:].astype(np.uint64)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
    doc = np.repeat(np.arange(len(texts), dtype=np.uint64), lengths)[: len(codes) - 1]
    return ((doc << np.uint64(30)) | ids)[pair]


def documents_arrays(records: list[dict]) -> list[DocumentTerms]:
    """``document_terms`` of many records at once: the numpy work (fold, bigrams, counting) is done
    for the whole batch in a few calls, which costs a third of doing it record by record."""
    heads: list[str] = []
    texts: list[str] = []
    bodies: list[str] = []
    for record in records:
        raw_head = "\n".join([record.get("title") or "", record.get("doc_no") or ""])
        bodies.append(_strip_tags(record.get("body_html") or ""))
        raw_rest = "\n".join([
            record.get("index_no") or "",
            " ".join(k for k in record.get("keywords") or [] if k),
            record.get("summary") or "",
            " ".join(a.get("title") or "" for a in record.get("attachments") or []),
            bodies[-1],
            record.get("attachment_text") or "",  # the words inside its PDF/Word/Excel/OFD files
        ])
        heads.append(_fold_width_case(raw_head))
        texts.append(_fold_width_case(raw_head + "\n" + raw_rest))
    keys = _bigram_keys(texts)
    keys.sort()
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    at = np.flatnonzero(first)
    uniq = keys[at]
    counts = np.diff(np.append(at, len(keys)))
    in_title = np.isin(uniq, _bigram_keys(heads))
    bounds = np.searchsorted(uniq >> np.uint64(30), np.arange(len(records) + 1, dtype=np.uint64)).tolist()
    ids = (uniq & np.uint64(BIGRAM_LIMIT - 1)).astype(np.uint32)
    out = []
    for i, record in enumerate(records):
        a, b = bounds[i], bounds[i + 1]
        title = fold(record.get("title") or "")
        extra = title_words(title, [fold(k) for k in record.get("keywords") or [] if k])
        extra.update(doc_no_terms(record.get("doc_no")))
        if term := index_no_term(record.get("index_no")):
            extra.add(term)
        extra.update(_facet_terms(record))
        out.append(DocumentTerms(ids[a:b], counts[a:b], in_title[a:b], Counter(ascii_words(texts[i])),
                                 set(ascii_words(heads[i])), extra, bodies[i]))
    return out


def _facet_terms(record: dict) -> list[str]:
    published = record.get("published") or ""
    facets = {
        "organ": record.get("organ"),
        "category": record.get("category"),
        "topic": record.get("topic"),
        "year": published[:4] if published[:4].isdigit() else None,
        "validity": record.get("validity"),
    }
    return [facet_term(k, v) for k, v in facets.items() if v]


def query_terms(query: str) -> dict[str, list[str]]:
    """Split a query into ``required`` terms (all must match) and ``optional`` boost/exact terms.

    ``optional`` holds the 文号 key and the 索引号 (each alone is enough to match) and candidate
    words (``w:``, boost only). Mirrors ``queryTerms`` in search.js.
    """
    folded = fold(query).strip()
    required: list[str] = []
    for term in match_terms(folded):
        if term not in required:
            required.append(term)
    # A lone ASCII character (the 1 of "…〔2024〕1号", a number cut while typing) would reject
    # documents where it is part of a longer number; it only counts when nothing else is typed.
    if any(len(t) > 1 for t in required):
        required = [t for t in required if len(t) > 1]
    # A number at either end of the query may be cut ("22年…" typed for 2022年): with other terms
    # present it only boosts, like the candidate words below.
    edges: list[str] = []
    cjk_required = [t for t in required if not ASCII_WORD.fullmatch(t)]
    if cjk_required:
        first, last = ASCII_WORD.match(folded), re.search(r"[a-z0-9]+$", folded)
        for m in (first, last):
            if m and m.group() in required and m.group() not in edges:
                edges.append(m.group())
        required = [t for t in required if t not in edges]
    exact: list[str] = []
    compact = "".join(folded.split())
    exact.extend(DOC_NO + key for key in doc_no_query_keys(folded))
    if _INDEX_NO_LIKE.match(compact):
        exact.append(INDEX_NO + compact)
    words: list[str] = list(edges)
    for run in CJK_RUN.findall(folded):
        for size in range(2, min(MAX_WORD_SUBSTRING, len(run)) + 1):
            for i in range(len(run) - size + 1):
                term = WORD + run[i : i + size]
                if term not in words and len(words) < MAX_QUERY_WORDS:
                    words.append(term)
    return {"required": required, "exact": exact, "words": words}
