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
from operator import add

from content_models.disclosure import doc_no_key

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
ASCII_WORD = re.compile(r"[a-z0-9]+")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.S | re.I)
# Characters whose NFKC form changes a term (full-width letters/digits, compatibility ideographs,
# circled/parenthesized numbers, Kangxi radicals); other width differences are punctuation, i.e.
# separators either way, so most texts skip the (slow) normalization.
_NEEDS_NFKC = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uf900-\ufaff\u2f00-\u2fdf\u2460-\u24ff"
                         r"\u3200-\u33ff\u3000\u00a0\u2160-\u217f\ufe30-\ufe4f\uff5b-\uff65]")
_SPACES = re.compile(r"\s+")
_DOC_NO_LIKE = re.compile(r"[\u3400-\u9fff].*\d{4}.*\d")
_INDEX_NO_LIKE = re.compile(r"^[0-9a-z\-]{4,32}/\d{4}-\d{1,8}$")

MAX_ASCII_LEN = 24
MAX_WORD_SUBSTRING = 6
MAX_QUERY_WORDS = 30

# Term prefixes (bigrams and ASCII words carry no prefix).
WORD, DOC_NO, INDEX_NO, FACET = "w:", "#n:", "#i:", "f:"
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
    from opencc_purepy import OpenCC

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


def html_to_text(body_html: str) -> str:
    """Plain text of a body for indexing and excerpts (scripts, styles and comments dropped)."""
    if not body_html:
        return ""
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", body_html))).strip()


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
    import rjieba

    words: set[str] = set()
    for text in (folded_title, *keywords):
        for run in CJK_RUN.findall(text):
            for w in rjieba.cut_for_search(run):
                if 2 <= len(w) <= MAX_WORD_SUBSTRING:
                    words.add(WORD + w)
    return words


def doc_no_term(doc_no: str | None) -> str | None:
    key = doc_no_key(doc_no or "")
    return DOC_NO + fold(key) if key else None


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
    ]
    tf = Counter(match_terms("\n".join(parts)))
    in_title = set(match_terms(title)) | set(match_terms(parts[1]))
    extra = title_words(title, keywords)
    for term in (doc_no_term(record.get("doc_no")), index_no_term(record.get("index_no"))):
        if term:
            extra.add(term)
    published = record.get("published") or ""
    facets = {
        "organ": record.get("organ"),
        "category": record.get("category"),
        "topic": record.get("topic"),
        "year": published[:4] if published[:4].isdigit() else None,
        "validity": record.get("validity"),
    }
    extra.update(facet_term(k, v) for k, v in facets.items() if v)
    return tf, in_title, extra


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
    if _DOC_NO_LIKE.search(compact):
        term = doc_no_term(compact)
        if term:
            exact.append(term)
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
