"""The static index format: what the build writes, and what search.js and query.py read.

Everything under ``search/idx/`` except ``manifest.json`` has a name that never comes back with
other content (a content hash, or for listed files an epoch and a generation, see below), so a
CDN can cache it for ever; ``manifest.json`` is tiny and must be served with a short cache. All
``.bin`` files are gzip (written with mtime 0, so equal content gives equal bytes; hashes are of the
unpacked content); the browser unpacks them with ``DecompressionStream`` because static hosts
serve files as they are.

- Documents have *ordinals*: a full build numbers them by publication date (oldest 0), an
  incremental build appends new ones. Ordinals are grouped in blocks of ``BLOCK``; a block is the
  unit of download, newest block first, so the first page of results needs only the head of each
  posting list.
- A *segment* is one term's postings inside one block: ``count`` uint16 gaps (the first from the
  block start) as ``count`` low bytes then ``count`` high bytes, then ``count`` impact bytes
  ``q << 2 | not_valid << 1 | in_title``, with ``q`` the BM25 term-frequency part quantized to
  1..Q_MAX: 3 bytes a posting.
- Terms live in *shards* (``s/<key>-<epoch>-<gen>.bin``, gzip JSON ``{term: entry}``). A term with at most
  ``INLINE_DF`` postings has its segments inline: ``[df, [[block, count, base64], ...]]``. Any other
  term's segments are in page files ``p/<fnv1a(term) as 8 hex>.<first block>-<hash6>.bin``; a page
  holds the segments of ``group`` aligned consecutive blocks, ``group`` a power of two chosen from
  the term's df (about ``PAGE_POSTINGS`` postings per page), so a query that stops after the newest
  blocks does not download a term's whole list. Its entry is ``[df, group, [block, count, block,
  count, ...], "<hash6 of each page, in block order>"]``: the page names and each segment's offset
  (3 bytes a posting) follow from those, so the shard carries 6 characters per page instead of a
  reference per segment. A term belongs to family ``k`` (exact 文号/索引号 keys), ``a`` (ASCII
  words: numbers, mostly) or ``m`` (CJK bigrams, words, facets, ``t:`` title bigrams) and to shard
  ``fnv1a(term) % shards`` (``w:`` and ``t:`` terms: of their first bigram).
- Shards and metadata chunks are *listed* files: named ``<key>-<epoch>-<gen>.bin`` (``key`` = family
  + shard number, or the chunk number; ``epoch`` from the manifest, drawn with the build state;
  ``gen`` the build that last changed the content), and directory files (``d/<key>-<hash6>.bin``,
  named by the manifest) list the ``gen`` of ``DIR_SIZE`` shards or ``META_DIR`` chunks, 0 for
  none: small, mostly equal numbers, tens of bytes gzip'd.
- Document metadata: chunks of ``META_CHUNK`` ordinals (``c/<key>-<epoch>-<gen>.bin``, JSON list
  of rows, ``META_FIELDS``, or null).
- ``t/<hash>.bin``: traditional → simplified map, one file per ``codepoint % T2S_BUCKETS``.
- The *delta* (manifest ``delta``, absent or null when empty): the documents changed since the
  last merge. ``dead`` lists the ordinals whose postings in the main files are void (changed or
  withdrawn documents), ``ords`` the ordinals whose current rows and postings are in the delta,
  ``inline`` base64 of gzip JSON ``[{term: [ordinal, impact, ordinal, impact, ...]}, [[ordinal,
  row], ...]]`` (ADR 0161). Indexes written before name files instead: ``buckets``, files
  ``x/<hash>.bin`` of the terms (a term in bucket ``delta_bucket(term)``, "" for an empty one) and
  ``meta`` one file ``x/<hash>.bin`` of the rows; readers take either. A reader drops the
  dead ordinals from every main segment and adds the delta's postings; ``docs``, ``ords`` and
  ``facets`` of the manifest already count the delta.
"""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np
from zlib_ng import gzip_ng

VERSION = 2  # search.js reads only its own version (a cached old page falls back to the server form)
PREFIX = "search/idx/"
BLOCK = 8192
INLINE_DF = 16  # a term with at most this many postings is inlined in its shard
PAGE_POSTINGS = 1024  # target postings per page file (see build.group_blocks)
REF_BLOCKS = 32
MAX_GROUP_LOG2 = 5  # at most 32 blocks per page
DIR_SIZE = 256
META_CHUNK = 4  # rows per metadata file: ten results come from ten files, so smaller is cheaper (~0.9 KB)
META_DIR = 1024  # metadata files per directory file (generations: tens of bytes)
SHORT_HASH = 6
T2S_BUCKETS = 16
# m: CJK bigrams, jieba words, facets and title bigrams (4,096: a query reads one per bigram, so
# smaller shards, ~450 bytes, save ~1 KB a query for 2k more files); a: ASCII words (numbers, mostly: phone numbers and amounts
# in bodies, 130k terms at 200k documents, which took half the bytes of the CJK queries' shards);
# k: the exact 文号/索引号 keys.
FAMILIES = {"m": 4096, "a": 2048, "k": 4096}

K1 = 1.2
B = 0.75
AVGDL = 600.0  # fixed, so that adding a document never changes the impacts of the others
Q_MAX = 63  # 6 bits; 15 or 31 levels would save up to 17% of page bytes but tie known items (tested)
TITLE_BOOST = 2.0  # a term found in the title counts (1 + TITLE_BOOST) times
WORD_BOOST = 0.5  # a jieba word of the title/keywords that the query contains
EXACT_BOOST = 1000.0  # the exact 文号 or 索引号
STOP_FRACTION = 0.1  # a bigram in more documents than this is skipped when the query has rarer ones
MIN_TERMS = 2  # ... but the query keeps at least this many of its rarest terms
MAX_TERMS = 3  # and at most this many
EXTRA_RATIO = 2.0  # beyond MIN_TERMS, only terms with df <= this times the rarest term's df
WORD_RATIO = 4.0  # word bonuses only from words with df <= this times the commonest kept term's
MAX_WORDS = 4  # word bonuses: the longest few title words the query contains
TITLE_PER_BIGRAM = 500  # the title check reads the rarest t: lists while they hold at most this many postings
TITLE_POSTINGS = 5000  # per bigram of the query, and this many in all (postings of the pages read)
TITLE_LISTS = 8  # ... and at most this many lists
TITLE_SAME_DF = 0.01  # ... skipping a list within this fraction of the length of one already read
TITLE_VERIFY = 24  # ... and reads the titles of at most this many candidates
PHRASE_BOOST = 500.0  # a document whose title contains the whole query
TITLE_SCAN_BLOCKS = 2  # when titles hold the whole query, the scan reads at most this many blocks
# The delta (see search_index/delta.py): the documents changed since the last merge, beside the
# main index, inline in its manifest (ADR 0161): a one-document change writes the manifest alone.
# The delta is merged into the main index once its inline form (gzip'd, base64'd) passes
# DELTA_MAX_BYTES (a query, which reads the manifest, pays at most that much more) or
# DELTA_MAX_DOCS documents. Measured with the shared corpus: 1-2 KB gzip'd a document (about a
# third more base64'd), so a merge every few changes, in the build worker's own build (ADR 0145).
DELTA_BUCKETS = 1
DELTA_MAX_BYTES = 10 * 1024
DELTA_MAX_DOCS = 32
FIRST_YEAR = 2000  # t: postings carry title_year_bits(title words) instead of a BM25 impact

# Meta row fields, in order.
# ``folded_title``: the title folded (tokenize.fold) when that changes more than width and case, else
# "": the browser checks a title against the query without loading the whole t2s map.
META_FIELDS = ("id", "title", "url", "published", "organ", "category", "topic", "doc_no", "validity", "excerpt",
               "folded_title")


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes; search.js computes the same."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def family_of(term: str) -> str:
    if term.startswith("#"):
        return "k"
    return "a" if term.isascii() and term.isalnum() else "m"


def shard_of(term: str) -> tuple[str, int]:
    """A word term (``w:营商环境``) and a title term (``t:营商``) live in the shard of their first
    bigram (``营商``): the query fetches that shard anyway, so they cost no extra download."""
    fam = family_of(term)
    key = term[2:4] if term.startswith(("w:", "t:")) else term
    return fam, fnv1a(key) % FAMILIES[fam]


def delta_bucket(term: str, buckets: int = DELTA_BUCKETS) -> int:
    """The delta file that holds a term: by the same key as its shard (``w:``/``t:`` terms go with
    their first bigram), so a query's title and word terms cost no extra delta file. ``buckets``: as
    many as the manifest names (an index written with another ``DELTA_BUCKETS`` stays readable)."""
    key = term[2:4] if term.startswith(("w:", "t:")) else term
    return fnv1a(key) % buckets


def group_blocks(df: int) -> int:
    """How many consecutive blocks share one page file, for a term with ``df`` postings.

    About PAGE_POSTINGS postings per page if the term were spread over REF_BLOCKS blocks, in a
    power of two: a rare term is one request, a common one is read block by block, newest first,
    and a mid-frequency one in a few pages, so a query that stops after the newest blocks does not
    download the term's whole list. Groups are aligned (``block // group``), so a change in one
    block rewrites only its own group's page."""
    ratio = PAGE_POSTINGS * REF_BLOCKS // max(1, df)
    return 1 << min(MAX_GROUP_LOG2, max(0, ratio.bit_length() - 1))


def compact_entry(df: int, segments: list) -> list:
    """The shard form of an entry whose segments are ``[block, count, ref]`` (see the module doc;
    refs ``@<page>`` start a page, ``@<page>:<offset>`` continue it)."""
    if df <= INLINE_DF:
        return [df, segments]
    flat: list[int] = []
    hashes = []
    for blk, count, ref in segments:
        flat += (blk, count)
        if ":" not in ref:
            hashes.append(ref.rpartition("-")[2])
    return [df, group_blocks(df), flat, "".join(hashes)]


def expand_entry(term: str, entry: list) -> list:
    """``[df, [[block, count, ref], ...]]`` of a shard entry: what ``compact_entry`` was given."""
    if len(entry) == 2:
        return entry
    df, group, flat, hashes = entry
    prefix = f"{fnv1a(term):08x}."
    out = []
    first, page, offset, name = -1, -1, 0, ""
    for i in range(0, len(flat), 2):
        blk, count = flat[i], flat[i + 1]
        if blk // group * group != first:
            first, page, offset = blk // group * group, page + 1, 0
            name = f"{prefix}{first}-{hashes[SHORT_HASH * page : SHORT_HASH * (page + 1)]}"
        out.append([blk, count, f"@{name}:{offset}" if offset else f"@{name}"])
        offset += 3 * count
    return [df, out]


def gap_bytes(gaps: np.ndarray) -> bytes:
    """A segment's gaps (each < 2**16) as their low bytes, then their high bytes: gzip packs the
    high bytes, nearly all zero, far better than interleaved uint16 (pages 12% smaller)."""
    return (gaps & 0xFF).astype(np.uint8).tobytes() + (gaps >> 8).astype(np.uint8).tobytes()


def read_gaps(raw, count: int) -> np.ndarray:
    """The gaps ``gap_bytes`` wrote, from the start of a segment's bytes."""
    data = np.frombuffer(raw, dtype=np.uint8, count=2 * count).astype(np.int64)
    return data[:count] | (data[count:] << 8)


def listed_name(key: str, epoch: str, gen: int) -> str:
    """The name of a shard or metadata chunk, from its key and the generation its directory lists."""
    return f"{key}-{epoch}-{gen}"


def content_name(data: bytes) -> str:
    """A file's name: the hash of its (unpacked) content, so it is known before gzip has run."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def compress(data: bytes) -> bytes:
    """gzip with a fixed mtime: equal content gives equal bytes. zlib-ng's deflate (ADR 0164): the
    same format and level in under half of zlib's time on the postings pages, which hold two
    thirds of the index's bytes and come out 1 % smaller (shards +0.6 %, metadata chunks +3 %)."""
    return gzip_ng.compress(data, compresslevel=6, mtime=0)


def impacts(counts: np.ndarray, doc_len: np.ndarray | float) -> np.ndarray:
    """BM25's term-frequency part of each term, quantized to 1..Q_MAX, as the high six bits of the
    impact byte (``q << 2``; the build ORs in the flags)."""
    norm = counts * (K1 + 1) / (counts + K1 * (1 - B + B * doc_len / AVGDL))
    return np.clip(np.rint(norm / (K1 + 1) * Q_MAX), 1, Q_MAX).astype(np.uint8) << 2


def idf(df: int, n_docs: int) -> float:
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def title_year_bits(words) -> int:
    """The low bits of a title's ``t:`` postings (the validity flag is ORed in by the build): the
    code of the title's first year (``year - FIRST_YEAR + 1``, 0 for none in range) << 2, and
    bit 0 set when the title has several years (a plan 2016—2018): its first year is then known,
    and the title check can tell 三年行动计划（2016—2018年） from （2019—2021年）."""
    years = [int(w) for w in words if len(w) == 4 and w.isdigit() and 0 <= int(w) - FIRST_YEAR < 63]
    if not years:
        return 0
    return (years[0] - FIRST_YEAR + 1) << 2 | (1 if len(set(years)) > 1 else 0)


RANGE_MARKS = "—-－~～至到"


def phrase_years(phrase: str) -> tuple[set[int], int, bool]:
    """What a typed phrase says about its title's years: (codes of the years it may have, empty for
    any; the code of the phrase's first whole year or 0; whether that year follows a range mark).

    A four-digit year inside the phrase is itself; a number cut at the start of the phrase and
    followed by 年 (``013年部门决算``, ``3年``) is any year in range that ends with it."""
    codes: set[int] = set()
    first, after_range = 0, False
    for m in re.finditer(r"[0-9]+", phrase):
        digits = m.group()
        if m.start() > 0 and m.end() < len(phrase) and len(digits) == 4:
            if 0 <= int(digits) - FIRST_YEAR < 63:
                codes.add(int(digits) - FIRST_YEAR + 1)
                if not first:
                    first, after_range = int(digits) - FIRST_YEAR + 1, phrase[m.start() - 1] in RANGE_MARKS
        elif m.start() == 0 and len(digits) <= 4 and phrase[m.end() : m.end() + 1] == "年":
            codes.update(y - FIRST_YEAR + 1 for y in range(FIRST_YEAR, FIRST_YEAR + 63) if str(y).endswith(digits))
    return codes, first, after_range


def title_year_fits(bits: int, years: tuple[set[int], int, bool]) -> bool:
    """Whether a ``t:`` posting's year bits (``title_year_bits``) fit a phrase's ``phrase_years``.

    A title with one year must have one of the phrase's; a title with several starts with the
    phrase's first whole year, or, when that year follows a range mark (``—2018``), before it."""
    codes, first, after_range = years
    code = bits >> 2
    if not codes or not code:
        return True
    if not bits & 1:
        return code in codes
    if not first:
        return code in codes
    return code < first if after_range else code == first
