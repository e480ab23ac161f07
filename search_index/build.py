"""Build the static search index from document records (never from the HTML the site wrote).

Per-document tokens are cached in ``state_dir/search.sqlite3`` keyed by id and content hash, so a
rebuild tokenizes only new or changed documents; the posting lists are then assembled with numpy
from the cached term ids (one sort of ``term << 32 | ordinal << 8 | impact`` keys). Files have
content-hashed names and are written deterministically: a segment of a block nobody touched keeps
its name, so an incremental build changes only the files of the terms and blocks it touched.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import sqlite3
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

from . import format as fmt
from .tokenize import FACET_KEYS, document_terms, fold, html_to_text, set_t2s_map, t2s_map, title_words

log = logging.getLogger(__name__)

WriteFile = Callable[[str, bytes], None]
EXCERPT_CHARS = 120
_HASHED_FIELDS = ("title", "organ", "site", "doc_no", "index_no", "category", "topic", "published",
                  "validity", "keywords", "summary", "body_html", "attachments", "url")


@dataclass
class BuildStats:
    documents: int = 0
    tokenized: int = 0
    removed: int = 0
    postings: int = 0
    terms: int = 0
    files: int = 0
    bytes: int = 0
    patched: bool = False  # an incremental build that rewrote only what changed
    seconds: dict[str, float] = field(default_factory=dict)


def default_doc_url(record: dict) -> str:
    """URL of a document page: the site generator's own rule, so results link to the built pages."""
    if record.get("url"):
        return record["url"]
    try:
        from site_generator.docinfo import basics
    except ImportError:  # pragma: no cover - the generator is part of the project
        return f"/{record.get('site') or 'docs'}/{record['id']}.html"
    return basics(record)["url"]


# Bump when tokenizing or the stored row changes: every cached document is then re-tokenized once.
TOKENS_VERSION = 2


def _content_hash(record: dict) -> str:
    data = orjson.dumps({"v": TOKENS_VERSION, **{k: record.get(k) for k in _HASHED_FIELDS}},
                        option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=12).hexdigest()


class _State:
    """The plugin's persistent state: one SQLite file (queried by key, never loaded row by row in Python)."""

    def __init__(self, state_dir: Path):
        state_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(state_dir / "search.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, ord INTEGER, hash TEXT, published TEXT,
                meta BLOB, tids BLOB, imps BLOB, n INTEGER);
            CREATE TABLE IF NOT EXISTS vocab (tid INTEGER PRIMARY KEY, term TEXT UNIQUE);
            CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT);
            """
        )
        self.vocab: dict[str, int] = dict(self.db.execute("SELECT term, tid FROM vocab"))
        self.new_terms: list[tuple[int, str]] = []

    def tid(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.vocab)
            self.new_terms.append((tid, term))
        return tid

    def flush_vocab(self) -> None:
        self.db.executemany("INSERT INTO vocab (tid, term) VALUES (?, ?)", self.new_terms)
        self.new_terms = []


def _tokenize(item: tuple[dict, str]) -> tuple[str, str, str, bytes, str, bytes]:
    """Terms and impacts of one record (runs in a worker process on big builds; no shared state)."""
    record, digest = item
    tf, in_title, extra = document_terms(record)
    doc_len = sum(tf.values()) or 1
    flags = 2 if record.get("validity") in ("失效", "废止") else 0
    title_terms = [t for t in in_title if t in tf]
    terms = title_terms + [t for t in tf if t not in in_title]
    counts = np.fromiter((tf[t] for t in terms), dtype=np.float64, count=len(terms))
    norm = counts * (fmt.K1 + 1) / (counts + fmt.K1 * (1 - fmt.B + fmt.B * doc_len / fmt.AVGDL))
    q = np.clip(np.rint(norm / (fmt.K1 + 1) * fmt.Q_MAX), 1, fmt.Q_MAX).astype(np.uint8)
    imps = (q << 2) | flags
    imps[: len(title_terms)] |= 1
    extra = [t.replace("\x00", "") for t in extra]
    extra_imps = bytes((0 if t.startswith("f:") else fmt.Q_MAX << 2) | flags for t in extra)
    terms.extend(extra)
    text = (record.get("summary") or "").strip() or html_to_text(record.get("body_html") or "")
    meta = [
        record["id"], record.get("title") or "", _G["doc_url"](record), (record.get("published") or "")[:10],
        record.get("organ") or "", record.get("category") or "", record.get("topic") or "",
        record.get("doc_no") or "", record.get("validity") or "", text[:EXCERPT_CHARS],
    ]
    return (record["id"], digest, record.get("published") or "", orjson.dumps(meta), "\x00".join(terms),
            imps.tobytes() + extra_imps)


# Set before the worker pool forks, read by _tokenize in the workers.
_G: dict = {"doc_url": None}
POOL_AFTER = 400  # tokenize this many in-process before starting worker processes


def _default_writer(out_dir: Path) -> WriteFile:
    made: set[Path] = set()

    def write(rel: str, data: bytes) -> None:
        path = out_dir / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        if rel.endswith(".bin"):  # content-hashed: the name says the content, no temp file needed
            if not path.exists():
                path.write_bytes(data)
            return
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    return write


class _Writer:
    def __init__(self, write: WriteFile):
        self.write = write
        self.files = 0
        self.bytes = 0
        self.paths: set[str] = set()

    def put(self, kind: str, raw: bytes, key: str | None = None) -> str:
        """Write a packed file; with ``key`` the name is ``<key>-<short hash>`` and the short hash is returned."""
        name, packed = fmt.pack(raw)
        if key is not None:
            name = name[: fmt.SHORT_HASH]
        rel = f"{fmt.PREFIX}{kind}/{name if key is None else f'{key}-{name}'}.bin"
        if rel not in self.paths:
            self.write(rel, packed)
            self.paths.add(rel)
            self.files += 1
            self.bytes += len(packed)
        return name


def build_index(
    records: Iterable[dict],
    out_dir: Path | str,
    state_dir: Path | str,
    *,
    removed_ids: Iterable[str] = (),
    full: bool = True,
    write_file: WriteFile | None = None,
    delete_file: Callable[[str], None] | None = None,
    doc_url: Callable[[dict], str] = default_doc_url,
    processes: int | None = None,
) -> BuildStats:
    """Update the cached tokens with ``records`` and write the whole index under ``search/idx/``.

    ``full=True``: ``records`` are all live documents (others are dropped, ordinals renumbered by
    date). ``full=False``: ``records`` are the added/changed ones and ``removed_ids`` the withdrawn.
    """
    stats = BuildStats()
    t0 = time.perf_counter()
    state = _State(Path(state_dir))
    writer = _Writer(write_file or _default_writer(Path(out_dir)))
    db = state.db
    known: dict[str, str] = dict(db.execute("SELECT id, hash FROM docs"))
    next_ord = db.execute("SELECT COALESCE(MAX(ord) + 1, 0) FROM docs").fetchone()[0]
    removed = set(removed_ids)
    seen: set[str] = set()

    def pending():
        # Runs in the pool's feeder thread on big builds: touches only ``known`` and ``seen``.
        for record in records:
            rid = record["id"]
            if rid in removed:
                continue
            seen.add(rid)
            digest = _content_hash(record)
            if known.get(rid) != digest:
                yield record, digest

    _G["doc_url"] = doc_url
    _load_t2s(db)
    todo = pending()
    first = list(itertools.islice(todo, POOL_AFTER))
    if first:
        fold("預熱")  # load the t2s table and rjieba's dictionary once, before any fork
        title_words("预热")
    results: Iterable = map(_tokenize, first)
    pool = None
    procs = processes if processes is not None else min(4, os.cpu_count() or 1)
    if len(first) == POOL_AFTER and procs > 1:
        pool = multiprocessing.get_context("fork").Pool(procs)
        results = itertools.chain(results, pool.imap_unordered(_tokenize, todo, chunksize=64))
    changes: dict[int, tuple] = {}  # ordinal -> (old tids, old imps, new tids, new imps, new meta)
    db.execute("BEGIN")
    try:
        for rid, digest, published, meta, terms, imps in results:
            vocab = state.vocab
            names = terms.split("\x00")
            ids = [vocab.get(t) for t in names]
            if None in ids:
                ids = [state.tid(t) if i is None else i for t, i in zip(names, ids, strict=True)]
            tids = array("I", ids).tobytes()
            stats.tokenized += 1
            if not full:
                old = db.execute("SELECT ord, tids, imps FROM docs WHERE id = ?", (rid,)).fetchone()
                at = old[0] if old else next_ord
                changes[at] = (old[1] if old else None, old[2] if old else None, tids, imps, meta)
            if rid in known:
                db.execute("UPDATE docs SET hash=?, published=?, meta=?, tids=?, imps=?, n=? WHERE id=?",
                           (digest, published, meta, tids, imps, len(ids), rid))
            else:
                db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (rid, next_ord, digest, published, meta, tids, imps, len(ids)))
                known[rid] = digest
                next_ord += 1
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    if full:
        gone = [(rid,) for rid in known if rid not in seen]
        db.executemany("DELETE FROM docs WHERE id = ?", gone)
        stats.removed = len(gone)
        # Renumber by publication date: date order is ordinal order, newest block = newest documents.
        ids = [r[0] for r in db.execute("SELECT id FROM docs ORDER BY published, id")]
        db.execute("UPDATE docs SET ord = -1 - ord")
        db.executemany("UPDATE docs SET ord = ? WHERE id = ?", ((i, rid) for i, rid in enumerate(ids)))
    else:
        for rid in removed:
            old = db.execute("SELECT ord, tids, imps FROM docs WHERE id = ?", (rid,)).fetchone()
            if old:
                changes[old[0]] = (old[1], old[2], None, None, None)
                stats.removed += db.execute("DELETE FROM docs WHERE id = ?", (rid,)).rowcount
    state.flush_vocab()
    db.execute("COMMIT")
    stats.seconds["tokenize"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    keep = None
    if not full:
        from .incremental import patch_index

        keep = patch_index(state, writer, stats, Path(out_dir), changes)
        stats.patched = keep is not None
    if keep is None:
        _assemble(state, writer, stats)
        keep = writer.paths
    stats.seconds["assemble"] = time.perf_counter() - t1
    stats.files, stats.bytes = writer.files, writer.bytes
    _delete_stale(db, keep, delete_file or _default_deleter(Path(out_dir)))
    db.close()
    return stats


def _load_t2s(db: sqlite3.Connection) -> None:
    """The OpenCC character map, cached in the state (loading OpenCC costs ~1 s per process)."""
    version = _opencc_version()
    row = db.execute("SELECT value FROM kv WHERE key = 't2s'").fetchone()
    if row:
        cached = orjson.loads(row[0])
        if cached.get("version") == version:
            set_t2s_map(cached["map"])
            return
    db.execute("INSERT OR REPLACE INTO kv VALUES ('t2s', ?)",
               (orjson.dumps({"version": version, "map": t2s_map()}).decode(),))


def _opencc_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opencc-purepy")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _default_deleter(out_dir: Path) -> Callable[[str], None]:
    def delete(rel: str) -> None:
        (out_dir / rel).unlink(missing_ok=True)

    return delete


def previous_files(db: sqlite3.Connection) -> set[str]:
    row = db.execute("SELECT value FROM kv WHERE key = 'files'").fetchone()
    return set(orjson.loads(row[0])) if row else set()


def _delete_stale(db: sqlite3.Connection, paths: set[str], delete: Callable[[str], None]) -> None:
    """Remove the index files of the previous build that this build no longer references."""
    previous = previous_files(db)
    for rel in sorted(previous - paths):
        delete(rel)
    db.execute("INSERT OR REPLACE INTO kv VALUES ('files', ?)", (orjson.dumps(sorted(paths)).decode(),))


def _load_postings(db: sqlite3.Connection) -> tuple[np.ndarray, list, int]:
    total = db.execute("SELECT COALESCE(SUM(n), 0) FROM docs").fetchone()[0]
    max_ord = db.execute("SELECT COALESCE(MAX(ord), -1) FROM docs").fetchone()[0]
    keys = np.empty(total, dtype=np.uint64)
    metas: list = [None] * (max_ord + 1)
    pos = 0
    for ord_, meta, tids, imps, n in db.execute("SELECT ord, meta, tids, imps, n FROM docs"):
        t = np.frombuffer(tids, dtype=np.uint32).astype(np.uint64)
        keys[pos : pos + n] = (t << np.uint64(32)) | np.uint64(ord_ << 8) | np.frombuffer(imps, dtype=np.uint8)
        pos += n
        metas[ord_] = meta
    return keys, metas, max_ord + 1


def _term_starts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys → (term ids, start offsets), chunk by chunk so that no full-size temporary exists."""
    starts: list[np.ndarray] = []
    tids: list[np.ndarray] = []
    prev = None
    step = 1 << 22
    for lo in range(0, len(keys), step):
        t = (keys[lo : lo + step] >> np.uint64(32)).astype(np.uint32)
        change = np.flatnonzero(t[1:] != t[:-1]) + 1
        if prev is None or t[0] != prev:
            change = np.concatenate(([0], change))
        starts.append(change + lo)
        tids.append(t[change])
        prev = t[-1]
    if not starts:
        return np.empty(0, np.uint32), np.empty(0, np.int64)
    return np.concatenate(tids), np.concatenate(starts)


def shard_bytes(entries: dict[str, bytes]) -> bytes:
    """A shard file's JSON from already-encoded entries, keys in code-point order (deterministic)."""
    return b"{" + b",".join(orjson.dumps(t) + b":" + entries[t] for t in sorted(entries)) + b"}"


def encode_term(writer: _Writer, term: str, blocks: list[tuple[int, np.ndarray, np.ndarray]], df: int) -> list:
    """A term's segments (``blocks`` in block order, ``df`` the term's total).

    A segment of at most INLINE_MAX postings is inlined (base64). The longer ones go to page files:
    one page per block for common terms (a query reads only the blocks it needs), one page for all
    blocks of a term with at most GROUP_MAX postings (a rare term costs one request, not 25);
    grouped refs are ``@<page>:<byte offset>``.
    """
    out: list = []
    grouped: list[tuple[int, int, bytes]] = []
    for blk, ords, imps in blocks:
        gaps = np.diff(ords.astype(np.int64), prepend=blk * fmt.BLOCK).astype("<u2")
        raw = gaps.tobytes() + imps.astype(np.uint8).tobytes()
        if len(ords) <= fmt.INLINE_MAX:
            out.append([blk, len(ords), base64.b64encode(raw).decode("ascii")])
        elif df <= fmt.GROUP_MAX:
            out.append([blk, len(ords), None])
            grouped.append((len(out) - 1, len(ords), raw))
        else:
            key = f"{fmt.fnv1a(term):08x}.{blk}"
            out.append([blk, len(ords), f"@{key}-{writer.put('p', raw, key=key)}"])
    if grouped:
        key = f"{fmt.fnv1a(term):08x}.g"
        name = f"{key}-{writer.put('p', b''.join(r for _, _, r in grouped), key=key)}"
        offset = 0
        for i, _count, raw in grouped:
            out[i][2] = f"@{name}:{offset}"
            offset += len(raw)
    return out


def _assemble(state: _State, writer: _Writer, stats: BuildStats) -> None:
    db = state.db
    n_docs = db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
    keys, metas, n_ords = _load_postings(db)
    keys.sort()
    stats.postings = len(keys)
    tids, starts = _term_starts(keys)
    terms = {tid: term for term, tid in state.vocab.items()}
    ends = np.append(starts[1:], len(keys)).astype(np.int64)
    shards: dict[tuple[str, int], dict[str, bytes]] = {}
    facets: dict[str, dict[str, int]] = {k: {} for k in FACET_KEYS}
    facet_names = {v: k for k, v in FACET_KEYS.items()}
    block = fmt.BLOCK
    for tid, s, e in zip(tids.tolist(), starts.tolist(), ends.tolist(), strict=True):
        term = terms[tid]
        k = keys[s:e]
        o = ((k >> np.uint64(8)) & np.uint64(0xFFFFFF)).astype(np.uint32)
        im = (k & np.uint64(0xFF)).astype(np.uint8)
        df = e - s
        blocks = o // block
        if df == 1 or blocks[0] == blocks[-1]:
            cuts = [0, df]
        else:
            cuts = [0, *(np.flatnonzero(blocks[1:] != blocks[:-1]) + 1).tolist(), df]
        segments = encode_term(writer, term, [(int(blocks[a]), o[a:b], im[a:b])
                                              for a, b in zip(cuts, cuts[1:], strict=False)], df)
        # json, not orjson: each orjson result keeps a ~4 KB buffer, 1.5 GB over 382k terms at 200k.
        # (Same bytes: only integers and ASCII strings.)
        shards.setdefault(fmt.shard_of(term), {})[term] = json.dumps([df, segments], separators=(",", ":")).encode()
        if term.startswith("f:"):
            key, value = term[2:].split(":", 1)
            facets[facet_names[key]][value] = df
    del keys
    stats.terms = len(tids)

    shard_names = {}
    for fam, count in fmt.FAMILIES.items():
        names = []
        for n in range(count):
            entries = shards.pop((fam, n), {})
            names.append(writer.put("s", shard_bytes(entries), key=f"{fam}{n}") if entries else "")
        shard_names[fam] = names
    chunk_names = []
    for lo in range(0, n_ords, fmt.META_CHUNK):
        rows = metas[lo : lo + fmt.META_CHUNK]
        chunk_names.append(_put_chunk(writer, lo // fmt.META_CHUNK, rows))
    facets = {k: dict(sorted(v.items())) for k, v in facets.items()}
    _finish(state, writer, n_docs, n_ords, shard_names, chunk_names, facets)
    stats.documents = n_docs


def _put_chunk(writer: _Writer, chunk: int, rows: list[bytes | None]) -> str:
    if not any(rows):
        return ""
    raw = b"[" + b",".join(r if r is not None else b"null" for r in rows) + b"]"
    return writer.put("c", raw, key=str(chunk))


def _finish(state: _State, writer: _Writer, n_docs: int, n_ords: int, shard_names: dict[str, list[str]],
            chunk_names: list[str], facets: dict) -> None:
    """Directory files, the t2s map and the manifest (the one file without a hashed name)."""
    def dirs(prefix: str, names: list[str], size: int) -> list[str]:
        out = []
        for i in range(0, len(names), size):
            key = f"{prefix}{i // size}"
            out.append(f"{key}-{writer.put('d', orjson.dumps(names[i : i + size]), key=key)}")
        return out

    families = {fam: {"shards": len(names), "dirs": dirs(f"{fam}.", names, fmt.DIR_SIZE)}
                for fam, names in shard_names.items()}
    meta_dirs = dirs("c.", chunk_names, fmt.META_DIR)
    buckets: list[dict[str, str]] = [{} for _ in range(fmt.T2S_BUCKETS)]
    for src, dst in t2s_map().items():
        buckets[ord(src) % fmt.T2S_BUCKETS][src] = dst
    t2s = [writer.put("t", orjson.dumps(b, option=orjson.OPT_SORT_KEYS)) for b in buckets]
    manifest = {
        "version": fmt.VERSION,
        "docs": n_docs,
        "ords": n_ords,
        "block": fmt.BLOCK,
        "dir_size": fmt.DIR_SIZE,
        "families": families,
        "meta": {"chunk": fmt.META_CHUNK, "per_dir": fmt.META_DIR, "dirs": meta_dirs, "fields": fmt.META_FIELDS},
        "t2s": {"buckets": fmt.T2S_BUCKETS, "files": t2s},
        "facets": facets,
        "scoring": {"k1": fmt.K1, "b": fmt.B, "avgdl": fmt.AVGDL, "q_max": fmt.Q_MAX, "title": fmt.TITLE_BOOST,
                    "word": fmt.WORD_BOOST, "exact": fmt.EXACT_BOOST, "stop": fmt.STOP_FRACTION,
                    "min_terms": fmt.MIN_TERMS, "max_terms": fmt.MAX_TERMS, "max_words": fmt.MAX_WORDS},
        "built": datetime.now(UTC).isoformat(timespec="microseconds"),
    }
    writer.write(fmt.PREFIX + "manifest.json", json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
    writer.files += 1
    state.db.execute("INSERT OR REPLACE INTO kv VALUES ('built', ?)", (manifest["built"],))
