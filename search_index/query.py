"""The Python query engine over the prebuilt static index: used by the API, the no-JS page and the CLI.

It reads exactly the files the browser reads and follows the same algorithm as search.js, so the
server and the static client agree. Files are content-addressed, so decoded files are cached by
name for the life of the process; only ``manifest.json`` is re-read when it changes.
"""

from __future__ import annotations

import base64
import gzip
import html
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from content_models.identifiers import split_doc_nos

from . import format as fmt
from .tokenize import ASCII_WORD, CJK_RUN, TITLE, doc_no_terms, facet_term, fold, query_terms, set_t2s_map

PAGE_SIZE = 10
MAX_PAGE = 100
RELEVANCE_POOL = 50  # relevance order looks at (at least) this many matches, newest blocks first
SNIPPET_CHARS = 110
SORTS = ("relevance", "date")


class IndexMissing(RuntimeError):
    """No search index has been built yet."""


@dataclass
class Query:
    q: str = ""
    organ: str = ""
    category: str = ""
    topic: str = ""
    year: str = ""
    validity: str = ""
    sort: str = "relevance"
    page: int = 1
    size: int = PAGE_SIZE

    def filters(self) -> dict[str, str]:
        return {k: v for k in ("organ", "category", "topic", "year", "validity") if (v := (getattr(self, k) or "").strip())}


@dataclass
class Result:
    total: int = 0
    total_exact: bool = True
    page: int = 1
    pages: int = 0
    has_next: bool = False  # another page holds results (never a 下一页 that opens an empty page)
    results: list[dict] = field(default_factory=list)
    message: str = ""
    suggestions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "total": self.total, "total_exact": self.total_exact, "page": self.page, "pages": self.pages,
            "has_next": self.has_next,
            "results": self.results, "message": self.message, "suggestions": self.suggestions,
        }


class _LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class SearchIndex:
    """One built index directory (``<site>/search/idx``)."""

    def __init__(self, site_dir: Path | str, cache_files: int = 4096):
        self.root = Path(site_dir) / fmt.PREFIX
        self._lock = threading.Lock()
        self._files = _LRU(cache_files)
        self._manifest_mtime = None
        self.manifest: dict = {}
        self._delta = _Delta(None, fmt.BLOCK)

    # -- files -------------------------------------------------------------------------------
    def _load_manifest(self) -> dict:
        path = self.root / "manifest.json"
        try:
            mtime = path.stat().st_mtime_ns
        except FileNotFoundError:
            raise IndexMissing("搜索索引尚未生成，请先运行 govsite build_site") from None
        if mtime != self._manifest_mtime:
            self.manifest = orjson.loads(path.read_bytes())
            self._manifest_mtime = mtime
            self._delta = _Delta(self.manifest.get("delta"), self.manifest["block"])
            # Fold queries with the very map the index was built with (and skip loading OpenCC).
            mapping: dict[str, str] = {}
            for name in self.manifest["t2s"]["files"]:
                mapping.update(self._file("t", name))
            set_t2s_map(mapping)
        return self.manifest

    def _file(self, kind: str, name: str):
        key = (kind, name)
        with self._lock:
            if key in self._files:
                return self._files[key]
        data = gzip.decompress((self.root / kind / f"{name}.bin").read_bytes())
        value = data if kind == "p" else orjson.loads(data)
        with self._lock:
            self._files.put(key, value)
        return value

    def entry(self, term: str) -> list | None:
        """[df, segments] of a term, or None when no document has it (the delta included)."""
        fam, shard = fmt.shard_of(term)
        dirs = self.manifest["families"][fam]["dirs"]
        gen = self._file("d", dirs[shard // self.manifest["dir_size"]])[shard % self.manifest["dir_size"]]
        entry = None
        if gen:
            entry = self._file("s", fmt.listed_name(f"{fam}{shard}", self.manifest["epoch"], gen)).get(term)
        entry = fmt.expand_entry(term, entry) if entry else None
        delta = self._delta
        if not delta.present:
            return entry
        if delta.terms is not None:
            return delta.merge_entry(entry, delta.terms.get(term, []))
        name = delta.buckets[fmt.delta_bucket(term, len(delta.buckets))]
        return delta.merge_entry(entry, self._file("x", name).get(term, []) if name else [])

    def segment(self, block: int, count: int, ref: str, extra: list | None = None) -> tuple[np.ndarray, np.ndarray]:
        if ref.startswith("!"):  # a main segment (maybe none) with the delta's changes (_Delta.merge_entry)
            ords, imps = self.segment(block, count, ref[1:]) if len(ref) > 1 else (_NO_ORDS, _NO_IMPS)
            return self._delta.merge_segment(ords, imps, extra or [])
        if ref.startswith("@"):
            name, _, offset = ref[1:].partition(":")
            raw = memoryview(self._file("p", name))[int(offset or 0):]
        else:
            raw = _b64(ref)
        gaps = fmt.read_gaps(raw, count)
        ords = np.cumsum(gaps) + block * self.manifest["block"]
        return ords, np.frombuffer(raw, dtype=np.uint8, count=count, offset=2 * count)

    def meta(self, ordinal: int) -> dict | None:
        delta = self._delta
        if delta.present and (ordinal in delta.ords or ordinal in delta.dead):
            if ordinal not in delta.ords:
                return None  # withdrawn since the last merge
            rows = delta.rows if delta.rows is not None else dict(self._file("x", delta.meta))
            return dict(zip(self.manifest["meta"]["fields"], rows[ordinal], strict=True))
        m = self.manifest["meta"]
        chunk = ordinal // m["chunk"]
        gen = self._file("d", m["dirs"][chunk // m["per_dir"]])[chunk % m["per_dir"]]
        if not gen:
            return None
        row = self._file("c", fmt.listed_name(str(chunk), self.manifest["epoch"], gen))[ordinal % m["chunk"]]
        return dict(zip(m["fields"], row, strict=True)) if row else None

    # -- search ------------------------------------------------------------------------------
    def search(self, query: Query) -> Result:
        manifest = self._load_manifest()
        n_docs = max(1, manifest["docs"])
        page = max(1, min(MAX_PAGE, int(query.page or 1)))
        size = max(1, min(50, int(query.size or PAGE_SIZE)))
        sort = query.sort if query.sort in SORTS else "relevance"
        terms = query_terms(query.q or "")
        filters = [facet_term(k, v) for k, v in query.filters().items()]
        if not terms["required"] and not terms["exact"] and not filters:
            msg = "请输入至少两个汉字或一个词" if (query.q or "").strip() else ""
            return Result(page=page, message=msg)

        # An exact 文号 or 索引号 first: when it exists, the documents it identifies are the answer
        # and the query's other terms are not even looked up (search.js downloads none of them).
        exact = {t: e for t in terms["exact"] if (e := self.entry(t))}
        req = {} if exact else {t: self.entry(t) for t in terms["required"]}
        flt = {t: self.entry(t) for t in filters}
        req_ok = all(req.values())
        if any(e is None for e in flt.values()) or (not req_ok and not exact):
            return self._empty(query, page, terms, req)
        words = {} if exact else {t: e for t in terms["words"] if (e := self.entry(t))}
        if not exact:
            # The MIN_TERMS rarest terms always count. Another term counts only if it is not very
            # common (in at most STOP_FRACTION of the documents) and costs about as much as the rarest
            # (df at most EXTRA_RATIO times its df): otherwise its list, which a rare query downloads
            # whole, would cost most of the bytes for a few false positives less. Word bonuses come
            # only from words at most WORD_RATIO times as common as the commonest kept term.
            common = manifest["docs"] * fmt.STOP_FRACTION
            keep = set()
            limit = float("inf")
            for t, e in sorted(req.items(), key=lambda kv: kv[1][0]):
                if len(keep) < fmt.MIN_TERMS or (e[0] <= common and e[0] <= limit and len(keep) < fmt.MAX_TERMS):
                    keep.add(t)
                if limit == float("inf"):
                    limit = e[0] * fmt.EXTRA_RATIO
            req = {t: e for t, e in req.items() if t in keep}
            # The longest words are the most telling; a few of them are enough for the bonus.
            word_limit = min(common, fmt.WORD_RATIO * max((e[0] for e in req.values()), default=0))
            useful = [t for t, e in words.items() if e[0] <= word_limit]
            best = set(sorted(useful, key=lambda t: -len(t))[: fmt.MAX_WORDS])
            words = {t: e for t, e in words.items() if t in best}

        def blocks_of(entry):
            return {seg[0] for seg in entry[1]}

        exact_blocks = set().union(*(blocks_of(e) for e in exact.values())) if exact else set()
        if req:
            cand = set.intersection(*(blocks_of(e) for e in req.values())) | exact_blocks
        elif exact:
            cand = set(exact_blocks)
        else:  # filters only: browse everything they select
            cand = set.intersection(*(blocks_of(e) for e in flt.values()))
        for e in flt.values():
            cand &= blocks_of(e)
        order = sorted(cand & exact_blocks, reverse=True) + sorted(cand - exact_blocks, reverse=True)
        # One more than the page: whether a next page exists is known, not guessed.
        need = page * size + 1 if sort == "date" else max(page * size + 1, RELEVANCE_POOL)

        seg_for = self._seg_for
        idf = {t: fmt.idf(e[0], n_docs) for t, e in {**req, **words}.items() if e}
        titled: dict[int, int] = {}
        if req and req_ok and not flt and sort == "relevance":
            titled = self._title_matches(query.q or "", terms["required"])
        # A title holding the whole query is what the reader is after: the other matches are then
        # read from the newest TITLE_SCAN_BLOCKS blocks only (their total estimated), which keeps a
        # long title query from reading whole lists for its few body matches.
        limit = fmt.TITLE_SCAN_BLOCKS if titled else len(order)
        found: list[tuple[float, int, int]] = []
        done = 0
        for block in order:
            scores: dict[int, float] = {}
            flags: dict[int, int] = {}
            if req and req_ok:
                _score_all(req, {t: seg_for(e, block) for t, e in req.items()}, idf, scores, flags)
            elif not req and not exact:
                seg = seg_for(next(iter(flt.values())), block)
                for o, im in zip(seg[0].tolist(), seg[1].tolist(), strict=True):
                    scores[o] = 0.0
                    flags[o] = im & 2
            for e in exact.values():
                seg = seg_for(e, block)
                if seg is not None:
                    for o, im in zip(seg[0].tolist(), seg[1].tolist(), strict=True):
                        scores[o] = scores.get(o, 0.0) + fmt.EXACT_BOOST
                        flags[o] = im & 2
            for e in flt.values():
                if not scores:
                    break
                seg = seg_for(e, block)
                keep = set(seg[0].tolist()) if seg is not None else set()
                scores = {o: s for o, s in scores.items() if o in keep}
            if scores:
                self._word_bonus(words, block, idf, scores)
            found.extend((s, flags[o], o) for o, s in scores.items())
            done += 1
            if (len(found) >= need or done >= limit) and block not in exact_blocks:
                break

        exhausted = done == len(order)
        total = len(found) if exhausted else int(len(found) * len(order) / done + 0.5)
        found = _boost_titles(found, titled)
        total = max(total, len(found))
        if sort == "date":
            found.sort(key=lambda x: -x[2])
        else:
            found.sort(key=lambda x: (-round(x[0], 6), x[1], -x[2]))
        if not found:
            return self._empty(query, page, terms, req)
        hits = found[(page - 1) * size : page * size]
        highlight = _Highlighter(terms["required"], terms["exact"])
        results = []
        for _score, _flag, o in hits:
            row = self.meta(o)
            if row:
                row["title_html"] = highlight.mark(row["title"])
                row["snippet"] = highlight.snippet(row.pop("excerpt") or "")
                row["doc_no_html"] = highlight.doc_no(row["doc_no"] or "")
                row.pop("folded_title", None)
                results.append(row)
        # The next page is offered only when results for it were found (a later search for it reads
        # at least as far as this one did); the page count is then the estimate, else this page.
        has_next = len(found) > page * size
        if not has_next:  # nothing beyond this page can be shown: the count says what was found
            total = len(found)
        pages = -(-total // size) if has_next else min(page, -(-len(found) // size))
        return Result(total=total, total_exact=exhausted, page=page, pages=pages, results=results, has_next=has_next)

    def _seg_for(self, entry: list, block: int) -> tuple[np.ndarray, np.ndarray] | None:
        for seg in entry[1]:
            if seg[0] == block:
                return self.segment(*seg)
        return None

    def _word_bonus(self, words: dict, block: int, idf: dict, scores: dict) -> None:
        for t, e in words.items():
            seg = self._seg_for(e, block)
            if seg is not None:
                for o in seg[0].tolist():
                    if o in scores:
                        scores[o] += fmt.WORD_BOOST * idf[t]

    def _title_matches(self, text: str, required: list[str]) -> dict[int, int]:
        """The documents whose title contains the whole query (folded, spaces ignored), with their
        validity flag: a title typed (almost) whole puts its document first, however old it is and
        however many newer documents hold the same words in their bodies.

        Candidates are the documents with the query's rarest bigrams in their title (the short
        ``t:`` lists, at most TITLE_LISTS of them, read while they hold at most TITLE_PER_BIGRAM
        postings per bigram of the query and TITLE_POSTINGS in all: a longer query is more
        likely a title, and its rare lists narrow faster); only when at most TITLE_VERIFY remain
        are their titles read (the metadata rows, which the results page shows anyway)."""
        bigrams = [t for t in required if len(t) == 2 and CJK_RUN.fullmatch(t)]
        if len(bigrams) < 2:
            return {}
        lists = [self.entry(TITLE + t) for t in bigrams]
        if not all(lists):
            return {}
        phrase = "".join(fold(text).split())
        years = fmt.phrase_years(phrase)
        cand: dict[int, int] | None = None
        used = 0
        budget = min(fmt.TITLE_POSTINGS, fmt.TITLE_PER_BIGRAM * len(bigrams))
        read: list[int] = []
        for e in sorted(lists, key=lambda e: e[0]):
            if len(read) >= fmt.TITLE_LISTS:
                break
            # A list about as long as one already read is most likely the same word's next bigram
            # (农民/民工/工资 of 农民工工资): it would cut nothing. Lists of other lengths do.
            if any(abs(e[0] - df) <= fmt.TITLE_SAME_DF * df for df in read):
                continue
            # What reading it costs: the postings of the pages holding the candidates' blocks
            # (candidates of one year are neighbours: a long list may cost one page of it).
            blocks = None if cand is None else {o // self.manifest["block"] for o in cand}
            cost = _page_postings(e, blocks)
            if used + cost > budget:
                continue
            used += cost
            read.append(e[0])
            found: dict[int, int] = {}
            for seg in e[1]:
                if blocks is None or seg[0] in blocks:
                    ords, imps = self.segment(*seg)
                    found.update(zip(ords.tolist(), imps.tolist(), strict=True))
            if cand is None:  # a title without a year of the query cannot hold it
                cand = {o: im for o, im in found.items() if fmt.title_year_fits(im, years)}
            else:
                cand = {o: im for o, im in cand.items() if o in found}
            if len(cand) <= fmt.TITLE_VERIFY:
                break
        if cand is None or len(cand) > fmt.TITLE_VERIFY:
            return {}
        out = {}
        for o, im in sorted(cand.items()):
            row = self.meta(o)
            if row and phrase in "".join(fold(row["title"]).split()):
                out[o] = im & 2
        return out

    def _empty(self, query: Query, page: int, terms: dict, req: dict) -> Result:
        """No match: say so, and suggest what would find something."""
        suggestions = []
        folded = fold(query.q or "").strip()
        # Longest pieces of the query that do occur in the index, e.g. 营商环境优化方案 → 营商环境.
        for run in CJK_RUN.findall(folded):
            best = ""
            for i in range(len(run) - 1):
                j = i + 2
                while j <= len(run) and all(req.get(run[k : k + 2]) for k in range(i, j - 1)):
                    j += 1
                if j - 1 - i >= 2 and j - 1 - i > len(best):
                    best = run[i : j - 1]
            if best and best != run and best not in suggestions:
                suggestions.append(best)
        if query.filters() and (folded and not suggestions):
            suggestions.append(folded)
        return Result(page=page, message="没有找到相关信息", suggestions=suggestions[:5])


_NO_ORDS = np.empty(0, dtype=np.int64)
_NO_IMPS = np.empty(0, dtype=np.uint8)


class _Delta:
    """The manifest's delta (``format``): dead ordinals and the files of the changed documents."""

    def __init__(self, spec: dict | None, block: int):
        self.present = bool(spec)
        spec = spec or {}
        self.block = block
        self.dead = set(spec.get("dead", ()))
        self.ords = set(spec.get("ords", ()))
        self.buckets = spec.get("buckets", [])
        self.meta = spec.get("meta", "")
        # inline in the manifest (ADR 0161); an index written before names files instead
        self.terms: dict | None = None
        self.rows: dict | None = None
        if spec.get("inline"):
            terms, rows = orjson.loads(gzip.decompress(base64.b64decode(spec["inline"])))
            self.terms, self.rows = terms, dict(rows)
        self.dead_blocks = {o // block for o in self.dead}
        self._dead_array = np.array(sorted(self.dead), dtype=np.int64)

    def merge_entry(self, entry: list | None, flat: list[int]) -> list | None:
        """The entry with ``!`` refs for the blocks the delta changes: ``[block, count, "!" + main
        ref (or "!"), [ordinal, impact, ...] of the delta in that block]``. Its df counts the
        delta's postings (and the dead ones of the main files, which only the segments know)."""
        added: dict[int, list[int]] = {}
        for i in range(0, len(flat), 2):
            added.setdefault(flat[i] // self.block, []).extend(flat[i : i + 2])
        if entry is None and not added:
            return None
        segs = []
        for seg in entry[1] if entry else []:
            blk = seg[0]
            if blk in self.dead_blocks or blk in added:
                segs.append([blk, seg[1], "!" + seg[2], added.pop(blk, [])])
            else:
                segs.append(seg)
        segs += [[blk, len(more) // 2, "!", more] for blk, more in added.items()]
        segs.sort(key=lambda s: s[0])
        return [(entry[0] if entry else 0) + len(flat) // 2, segs]

    def merge_segment(self, ords: np.ndarray, imps: np.ndarray, extra: list[int]) -> tuple[np.ndarray, np.ndarray]:
        keep = ~np.isin(ords, self._dead_array)
        ords = np.concatenate((ords[keep].astype(np.int64), np.array(extra[0::2], dtype=np.int64)))
        imps = np.concatenate((imps[keep], np.array(extra[1::2], dtype=np.uint8)))
        order = np.argsort(ords, kind="stable")
        return ords[order], imps[order]


def _page_postings(entry: list, blocks: set[int] | None) -> int:
    """Postings downloaded to read an entry's segments of ``blocks`` (all when None): whole page
    files, since a page holds several blocks; inline segments come with the shard."""
    pages = {seg[2].partition(":")[0] for seg in entry[1] if seg[2].startswith("@") and (blocks is None or seg[0] in blocks)}
    return sum(seg[1] for seg in entry[1] if seg[2].startswith("@") and seg[2].partition(":")[0] in pages)


def _boost_titles(found: list[tuple[float, int, int]], matches: dict[int, int]) -> list[tuple[float, int, int]]:
    """Add PHRASE_BOOST to the documents whose title holds the query (added if the scan did not reach them)."""
    if not matches:
        return found
    out = [(s + fmt.PHRASE_BOOST, f, o) if o in matches else (s, f, o) for s, f, o in found]
    seen = {o for _s, _f, o in found}
    out.extend((fmt.PHRASE_BOOST, f, o) for o, f in matches.items() if o not in seen)
    return out


def _score_all(req: dict, segs: dict, idf: dict, scores: dict, flags: dict) -> None:
    """BM25 scores (from the impact bytes) of a block's documents that have every required term."""
    if any(s is None for s in segs.values()):
        return
    common = None
    for ords, _ in sorted(segs.values(), key=lambda s: len(s[0])):
        common = ords if common is None else np.intersect1d(common, ords, assume_unique=True)
    scale = (fmt.K1 + 1) / fmt.Q_MAX
    for t in req:
        ords, imps = segs[t]
        sel = np.isin(ords, common, assume_unique=True)
        for o, im in zip(ords[sel].tolist(), imps[sel].tolist(), strict=True):
            s = idf[t] * (im >> 2) * scale * (1 + fmt.TITLE_BOOST * (im & 1))
            scores[o] = scores.get(o, 0.0) + s
            flags[o] = im & 2


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


class _Highlighter:
    """Marks the query's bigrams and ASCII words in a text, folding each character as the index did."""

    def __init__(self, required: list[str], exact: list[str] = ()):
        self.pairs = {t for t in required if len(t) == 2 and CJK_RUN.fullmatch(t)}
        self.words = {t for t in required if ASCII_WORD.fullmatch(t)}
        self.doc_nos = set(exact)

    def doc_no(self, text: str) -> str:
        """The 文号 of a result line: the number the query is marked whole, else the query's pieces."""
        parts = split_doc_nos(text)
        if not any(self.doc_nos & set(doc_no_terms(part)) for part in parts[::2]):
            return self.mark(text)
        out = []
        for i, part in enumerate(parts):
            hit = i % 2 == 0 and self.doc_nos & set(doc_no_terms(part))
            out.append(f"<mark>{html.escape(part)}</mark>" if hit else html.escape(part))
        return "".join(out)

    def _marks(self, text: str) -> list[bool]:
        folded = "".join(f if len(f := fold(c)) == 1 else c for c in text)
        marks = [False] * len(text)
        for i in range(len(folded) - 1):
            if folded[i : i + 2] in self.pairs:
                marks[i] = marks[i + 1] = True
        for m in ASCII_WORD.finditer(folded):
            if m.group() in self.words:
                for i in range(m.start(), m.end()):
                    marks[i] = True
        return marks

    def mark(self, text: str, marks: list[bool] | None = None) -> str:
        marks = self._marks(text) if marks is None else marks
        out, open_ = [], False
        for ch, m in zip(text, marks, strict=True):
            if m and not open_:
                out.append("<mark>")
            elif not m and open_:
                out.append("</mark>")
            open_ = m
            out.append(html.escape(ch))
        if open_:
            out.append("</mark>")
        return "".join(out)

    def snippet(self, text: str) -> str:
        marks = self._marks(text)
        first = marks.index(True) if True in marks else 0
        start = max(0, first - 20)
        end = min(len(text), start + SNIPPET_CHARS)
        body = self.mark(text[start:end], marks[start:end])
        return ("…" if start else "") + body + ("…" if end < len(text) else "")


_indexes: dict[str, SearchIndex] = {}


def get_index(site_dir: Path | str) -> SearchIndex:
    """The process-wide engine for a site directory (the CMS passes ``settings.GOVSITE_SITE_DIR``)."""
    key = str(site_dir)
    if key not in _indexes:
        _indexes[key] = SearchIndex(site_dir)
    return _indexes[key]


def search(query: Query, site_dir: Path | str) -> Result:
    return get_index(site_dir).search(query)
