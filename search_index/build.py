"""Build the static search index from document records (never from the HTML the site wrote).

Tokenizing runs in batches (``tokenize.documents_arrays``: bigrams are computed ids, counted with
numpy) in forked worker processes on big builds. Each document's term ids and impacts are cached
(``<state>/tokens*.bin``, indexed by id and content hash in ``search.sqlite3``), so a rebuild
tokenizes only new or changed documents. The posting lists are then assembled with numpy from the
cached ids in term ranges (``term << 32 | ordinal << 8 | impact`` keys spilled per range, each range
sorted and encoded with the gaps of all its segments computed at once), in forked worker processes
on big builds (ADR 0094), and written gzip'd from a thread pool of the main process. Files have content-hashed names and are written
deterministically: a segment of a page group nobody touched keeps its name, so an incremental build
changes only the files of the terms and groups it touched.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import os
import sqlite3
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from operator import itemgetter
from pathlib import Path

import numpy as np
import orjson

from content_models.atomic import atomic_write_in
from site_generator.docinfo import basics
from site_generator.processes import fork_pool

from . import format as fmt
from .delta import MERGE, delta_files, merge_changes, write_delta
from .incremental import patch_index
from .segments import encode_term, entry_json, finish_index, previous_files, shard_bytes
from .tokenize import (
    BIGRAM_LIMIT,
    FACET_KEYS,
    TITLE,
    TITLE_BIT,
    ascii_words,
    bigram_term,
    document_arrays,
    documents_arrays,
    fold,
    folded_title,
    set_t2s_map,
    t2s_map,
)

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
    patched: bool = False  # an incremental build that merged its changes into the main files
    delta: bool = False  # an incremental build that wrote only the delta (search_index/delta.py)
    state_rows: int = 0  # rows of the state's documents table read (an incremental build: by key)
    seconds: dict[str, float] = field(default_factory=dict)


def default_doc_url(record: dict) -> str:
    """URL of a document page: the site generator's own rule, so results link to the built pages."""
    if record.get("url"):
        return record["url"]
    return basics(record)["url"]


# Bump when tokenizing or the stored row changes: the cache is then dropped and every document is
# tokenized again (which needs a full build: see StaleState).
TOKENS_VERSION = 9  # 8: 文号 keys of 令/公告 numbers, short organ names, joint numbers; 9: t: first year


def tokens_version() -> str:
    """What the cached tokens depend on besides the record: this module's TOKENS_VERSION and the
    versions of the segmenter (rjieba ships jieba's dictionary) and of OpenCC (the t2s map). Tokens
    cached under another value are dropped and every document is tokenized again (a full build)."""
    return f"{TOKENS_VERSION}/rjieba-{_package_version('rjieba')}/opencc-{_package_version('opencc-purepy')}"


@functools.cache  # read from the installed metadata (a scan of site-packages): 0.2 s a build's main process
def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # pragma: no cover - both are install requirements
        return "unknown"


class StaleState(RuntimeError):
    """The cached tokens are from another version (or gone): only a full build can rebuild the index."""


def _content_hash(record: dict) -> str:
    data = orjson.dumps({"v": TOKENS_VERSION, **{k: record.get(k) for k in _HASHED_FIELDS}},
                        option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=12).hexdigest()


_DOCS_TABLE = """CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, ord INTEGER, hash TEXT, published TEXT,
    meta BLOB, off INTEGER, n INTEGER)"""


class _Tokens:
    """Every document's term ids and impact bytes, appended to one flat file (``off`` in the docs
    table). As SQLite blobs they cost 60 µs per document to insert, 12 s of a 200k build; a file
    append costs nothing. A changed document's old bytes stay behind until a full build compacts."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "a+b", buffering=1 << 20)  # noqa: SIM115 - closed by close()
        self.size = self.fh.seek(0, os.SEEK_END)
        self.start_size = self.size

    def append(self, tids: bytes, imps: bytes) -> int:
        off = self.size
        self.fh.write(tids + imps)
        self.size += len(tids) + len(imps)
        return off

    def read(self, off: int, n: int) -> tuple[bytes, bytes]:
        self.fh.flush()
        data = os.pread(self.fh.fileno(), 5 * n, off)
        return data[: 4 * n], data[4 * n :]

    def sync(self) -> None:
        """On disk before the offsets that point into it are committed."""
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.start_size = self.size

    def rollback(self) -> None:
        self.fh.flush()
        self.fh.truncate(self.start_size)
        self.size = self.start_size

    def clear(self) -> None:
        self.fh.flush()
        self.fh.truncate(0)
        self.size = self.start_size = 0

    def close(self) -> None:
        self.fh.close()


class _Names:
    """Names of the files that directory files list (shards, metadata chunks): ``<key>-<epoch>-<gen>``.

    ``gen`` is the number of the build that last changed the file's content (kept while its content
    hash is unchanged) and ``epoch`` is drawn when the state is created, so a name never comes back
    with other content, and a directory file is a list of small, mostly equal numbers: ~30 bytes
    gzip'd instead of 1.1 KB of 6-digit hashes, which every query paid for each directory it
    touched. The build number is taken (and stored) before any file is written, so a failed build
    never lends its number to other content."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        row = db.execute("SELECT value FROM kv WHERE key = 'epoch'").fetchone()
        self.epoch = row[0] if row else os.urandom(4).hex()
        row = db.execute("SELECT value FROM kv WHERE key = 'gen'").fetchone()
        self.gen = int(row[0]) + 1 if row else 1
        db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", (("epoch", self.epoch), ("gen", str(self.gen))))
        self.known = {key: (digest, gen) for key, digest, gen in db.execute("SELECT key, hash, gen FROM names")}
        self.changed: list[tuple[str, str, int]] = []

    def gen_of(self, key: str, digest: str) -> int:
        old = self.known.get(key)
        if old is not None and old[0] == digest:
            return old[1]
        self.known[key] = (digest, self.gen)
        self.changed.append((key, digest, self.gen))
        return self.gen

    def save(self) -> None:
        """One transaction: in autocommit mode every row was a commit of its own (60,000 at 200,000
        documents, each appending to the WAL and taking its locks)."""
        own = not self.db.in_transaction
        if own:
            self.db.execute("BEGIN")
        try:
            self.db.executemany("INSERT OR REPLACE INTO names VALUES (?, ?, ?)", self.changed)
        except BaseException:
            if own:
                self.db.execute("ROLLBACK")
            raise
        if own:
            self.db.execute("COMMIT")
        self.changed = []


class _State:
    """The plugin's persistent state: one SQLite file (queried by key, never loaded row by row in
    Python) and the tokens file.

    ``keyed``: an incremental build's state, which reads the vocabulary by key (a few hundred terms
    a document) instead of loading all of it (hundreds of thousands of terms at 200k documents)."""

    def __init__(self, state_dir: Path, *, keyed: bool = False):
        state_dir.mkdir(parents=True, exist_ok=True)
        self.dir = state_dir
        self.db = sqlite3.connect(state_dir / "search.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            _DOCS_TABLE + """;
            CREATE TABLE IF NOT EXISTS vocab (tid INTEGER PRIMARY KEY, term TEXT UNIQUE);
            CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS names (key TEXT PRIMARY KEY, hash TEXT, gen INTEGER);
            CREATE TABLE IF NOT EXISTS dirty (ord INTEGER PRIMARY KEY, off INTEGER, n INTEGER);
            CREATE INDEX IF NOT EXISTS docs_ord ON docs(ord);
            """
        )
        row = self.db.execute("SELECT value FROM kv WHERE key = 'tokens_file'").fetchone()
        self.tokens = _Tokens(state_dir / (row[0] if row else "tokens.bin"))
        row = self.db.execute("SELECT value FROM kv WHERE key = 'tokens_version'").fetchone()
        # Another tokenizer's ids mean nothing here: the build starts again (``start``).
        self.reset = row is None or row[0] != tokens_version()
        # Bigram ids are computed (tokenize.bigram_id); the vocabulary holds the other terms, from BIGRAM_LIMIT up.
        self.keyed = keyed and not self.reset
        self.vocab: dict[str, int] = {}
        self._by_tid: dict[int, str] = {}  # keyed: the terms looked up so far
        if not self.keyed and not self.reset:
            self.vocab = dict(self.db.execute("SELECT term, tid FROM vocab"))
        row = self.db.execute("SELECT MAX(tid) FROM vocab").fetchone()
        self.next_tid = BIGRAM_LIMIT if self.reset or row[0] is None else row[0] + 1
        self.new_terms: list[tuple[int, str]] = []
        self._terms: list[str] | None = None
        self._names: _Names | None = None

    def load_vocab(self) -> None:
        """The whole vocabulary (an assembly reads every term)."""
        if self.keyed:
            self.vocab.update(self.db.execute("SELECT term, tid FROM vocab"))
            self.keyed = False
            self._terms = None

    def tids(self, terms: list[str]) -> list[int]:
        """The ids of terms, new ones numbered (keyed: looked up in chunks, then remembered)."""
        if self.keyed:
            missing = [t for t in set(terms) if t not in self.vocab]
            for i in range(0, len(missing), 500):
                chunk = missing[i : i + 500]
                self.vocab.update(self.db.execute(
                    f"SELECT term, tid FROM vocab WHERE term IN ({','.join('?' * len(chunk))})", chunk))
        vocab = self.vocab
        if len(terms) > 1:
            try:  # all known (most documents of a big build): one C-level lookup of them all
                return list(itemgetter(*terms)(vocab))
            except KeyError:
                pass
        return [vocab.get(t) or self.tid(t) for t in terms]

    def terms_of(self, tids) -> list[str]:
        """The terms of ids (keyed: vocabulary terms looked up in chunks)."""
        if self.keyed:
            missing = [t for t in set(tids) if BIGRAM_LIMIT <= t < TITLE_BIT and t not in self._by_tid]
            for i in range(0, len(missing), 500):
                chunk = missing[i : i + 500]
                self._by_tid.update(self.db.execute(
                    f"SELECT tid, term FROM vocab WHERE tid IN ({','.join('?' * len(chunk))})", chunk))
        return [self.term(t) for t in tids]

    @property
    def names(self) -> _Names:
        if self._names is None:
            self._names = _Names(self.db)
        return self._names

    def start(self, full: bool) -> None:
        """Open the build's transaction. A full build forgets which index it last wrote ('built'), so
        that if it fails half-way the next incremental build cannot patch files it never wrote."""
        self.db.execute("BEGIN")
        if self.reset:
            self.db.execute("DROP TABLE docs")
            self.db.execute(_DOCS_TABLE)
            self.db.execute("DELETE FROM vocab")
            # Another format: new names for every listed file (see _Names).
            self.db.execute("DELETE FROM names")
            self.db.execute("DELETE FROM kv WHERE key IN ('epoch', 'gen')")
            self.tokens.clear()
            self.db.execute("INSERT OR REPLACE INTO kv VALUES ('tokens_version', ?)", (tokens_version(),))
        if full or self.reset:
            self.db.execute("DELETE FROM kv WHERE key = 'built'")
            self.db.execute("DELETE FROM dirty")  # a full assembly holds every change

    def tid(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = self.next_tid
            self.next_tid += 1
            self.new_terms.append((tid, term))
            self._by_tid[tid] = term
            self._terms = None
        return tid

    def term(self, tid: int) -> str:
        if tid < BIGRAM_LIMIT:
            return bigram_term(tid)
        if tid >= TITLE_BIT:
            return TITLE + bigram_term(tid ^ TITLE_BIT)
        if self.keyed:
            term = self._by_tid.get(tid)
            if term is None:
                term = self._by_tid[tid] = self.db.execute("SELECT term FROM vocab WHERE tid = ?", (tid,)).fetchone()[0]
            return term
        if self._terms is None:
            self._terms = [""] * len(self.vocab)
            for term, t in self.vocab.items():
                self._terms[t - BIGRAM_LIMIT] = term
        return self._terms[tid - BIGRAM_LIMIT]

    def close(self) -> None:
        self.db.close()
        self.tokens.close()

    def flush_vocab(self) -> None:
        self.db.executemany("INSERT INTO vocab (tid, term) VALUES (?, ?)", self.new_terms)
        self.new_terms = []


def _tokenize(items: list[tuple[dict, str | None]]) -> list[tuple[str, str, str, bytes, bytes, str, bytes]]:
    """Terms and impacts of a batch of records (runs in a worker process on big builds; no shared state).

    Per record: id, content hash, published, meta row, the bigram ids (then the title bigrams' ``t:``
    ids) as uint32 bytes, the other terms as one ``\\x00``-joined string (the main process gives
    those ids), and the impact bytes in the same order. A missing hash (a new document) is computed here, off the main process."""
    terms = documents_arrays([record for record, _ in items])
    # Impacts of the bigrams and ASCII words of the whole batch in one vectorized call.
    words = [list(d.words) for d in terms]
    counts = np.concatenate([np.concatenate((d.bigram_counts, np.fromiter((d.words[w] for w in ws), dtype=np.int64,
                                                                          count=len(ws))))
                             for d, ws in zip(terms, words, strict=True)] or [np.empty(0, np.int64)])
    sizes = [len(d.bigram_ids) + len(ws) for d, ws in zip(terms, words, strict=True)]
    lengths = np.repeat(np.array([d.length or 1 for d in terms], dtype=np.float64), sizes)
    all_imps = fmt.impacts(counts.astype(np.float64), lengths)
    out = []
    at = 0
    for (record, digest), d, ws, size in zip(items, terms, words, sizes, strict=True):
        flags = 2 if record.get("validity") in ("失效", "废止") else 0
        imps = all_imps[at : at + size] | flags
        at += size
        n_bigrams = len(d.bigram_ids)
        imps[:n_bigrams] |= d.bigram_in_title.astype(np.uint8)
        for i, w in enumerate(ws, start=n_bigrams):
            if w in d.words_in_title:
                imps[i] |= 1
        extra = [t.replace("\x00", "") for t in d.extra]
        extra_imps = bytes((0 if t.startswith("f:") else fmt.Q_MAX << 2) | flags for t in extra)
        text = (record.get("summary") or "").strip() or " ".join(d.body_text.split())
        title = record.get("title") or ""
        folded = fold(title)  # once per record: for the meta row and the title year
        meta = [
            record["id"], title, _G["doc_url"](record), (record.get("published") or "")[:10],
            record.get("organ") or "", record.get("category") or "", record.get("topic") or "",
            record.get("doc_no") or "", record.get("validity") or "", text[:EXCERPT_CHARS],
            folded_title(title, folded),
        ]
        title_ids = d.bigram_ids[d.bigram_in_title] | np.uint32(TITLE_BIT)
        title_imp = np.uint8(fmt.title_year_bits(ascii_words(folded)) | flags)
        title_imps = np.full(len(title_ids), title_imp, dtype=np.uint8)
        imps = np.concatenate((imps[:n_bigrams], title_imps, imps[n_bigrams:]))
        out.append((record["id"], digest or _content_hash(record), record.get("published") or "", orjson.dumps(meta),
                    d.bigram_ids.tobytes() + title_ids.tobytes(), "\x00".join(ws + extra), imps.tobytes() + extra_imps))
    return out


def _batched(items: Iterable, size: int):
    """Lists of ``size`` items (itertools.batched is Python 3.12+)."""
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


# Set before the worker pool forks, read by _tokenize in the workers.
_G: dict = {"doc_url": None}
POOL_AFTER = 400  # tokenize this many in-process before starting worker processes
BATCH = 64  # records per tokenizing call (tokenize.documents_arrays)


def _default_writer(out_dir: Path) -> WriteFile:
    made: set[str] = set()
    root = str(out_dir)

    def write(rel: str, data: bytes) -> None:
        path = os.path.join(root, rel)
        parent = os.path.dirname(path)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        if rel.endswith(".bin") and os.path.exists(path):  # content-hashed: the name says the content
            return
        # Through a temp file, so that a crash never leaves a half-written file under a final name
        # (a content-hashed one would then be trusted for ever), in plain os calls: this runs for
        # ~100k files from several threads, and every Python-level step holds the GIL.
        atomic_write_in(parent, os.path.basename(path), data)

    return write


class _Writer:
    """Names files by content and writes them gzip'd from a pool of threads (zlib and file IO
    release the GIL). Files go to the pool in batches: one task per file cost more in thread
    handoffs than the gzip itself. At 200k documents the index is ~100k files and 135 MB; writing
    them inline took a third of the assembly. The manifest is written only after ``flush``, so no
    reader ever sees a name whose file is not there yet; ``write`` must accept calls from threads."""

    def __init__(self, write: WriteFile, threads: int = 4, batch: int = 64, window: int = 16):
        self.write = write
        self.files = 0
        self.bytes = 0
        self.paths: set[str] = set()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="search-write")
        self._batch: list[tuple[str, bytes]] = []
        self._batch_size = batch
        self._pending: deque = deque()
        self._window = window

    def put(self, kind: str, raw: bytes, key: str | None = None) -> str:
        """Queue a file; with ``key`` the name is ``<key>-<short hash>`` and the short hash is returned."""
        name = fmt.content_name(raw)
        if key is not None:
            name = name[: fmt.SHORT_HASH]
        self.put_as(kind, name if key is None else f"{key}-{name}", raw)
        return name

    def put_listed(self, names: _Names, kind: str, key: str, raw: bytes) -> int:
        """Queue a file that a directory file lists; its generation (what the directory holds) is returned."""
        gen = names.gen_of(f"{kind}/{key}", fmt.content_name(raw))
        self.put_as(kind, fmt.listed_name(key, names.epoch, gen), raw)
        return gen

    def put_as(self, kind: str, name: str, raw: bytes) -> None:
        self._queue(f"{fmt.PREFIX}{kind}/{name}.bin", raw, False)

    def put_packed(self, rel: str, packed: bytes) -> None:
        """Queue a file gzip'd already (by an assembly task), under its full relative path."""
        self._queue(rel, packed, True)

    def _queue(self, rel: str, data: bytes, packed: bool) -> None:
        if rel not in self.paths:
            self.paths.add(rel)
            self._batch.append((rel, data, packed))
            if len(self._batch) >= self._batch_size:
                self._submit()

    def _submit(self) -> None:
        if self._batch:
            self._pending.append(self._pool.submit(self._store, self._batch))
            self._batch = []
        while len(self._pending) > self._window:
            self._collect()

    def _store(self, batch: list[tuple[str, bytes, bool]]) -> tuple[int, int]:
        size = 0
        for rel, data, is_packed in batch:
            packed = data if is_packed else fmt.compress(data)
            self.write(rel, packed)
            size += len(packed)
        return len(batch), size

    def _collect(self) -> None:
        files, size = self._pending.popleft().result()  # re-raises a failed write
        self.files += files
        self.bytes += size

    def flush(self) -> None:
        """Wait until everything queued is written (before the manifest that names it)."""
        self._submit()
        while self._pending:
            self._collect()

    def close(self) -> None:
        self.flush()
        self._pool.shutdown()

    def abort(self) -> None:
        """A failed build writes nothing more."""
        self._batch = []
        self._pending.clear()
        self._pool.shutdown(cancel_futures=True)


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
    merge: bool | None = None,
    tokens_only: bool = False,
) -> BuildStats:
    """Update the cached tokens with ``records`` and write the index under ``search/idx/``.

    ``full=True``: ``records`` are all live documents (others are dropped, ordinals renumbered by
    date). ``full=False``: ``records`` are the added/changed ones and ``removed_ids`` the withdrawn;
    the build reads the state by key only and writes the delta (``search_index/delta.py``), or
    merges the changes into the main files when the delta has grown past its bounds (``merge=None``),
    always (``merge=True``) or never (``merge=False``).

    ``tokens_only`` (with ``full=False``): tokenize the records into the state and write no file, as
    an incremental build does before it writes (the documents are marked changed since the last
    merge, so the next build's delta or merge holds them). See ``cache_tokens``.
    """
    if tokens_only and full:
        raise ValueError("tokens_only needs full=False: a full build writes the whole index")
    stats = BuildStats()
    t0 = time.perf_counter()
    state = _State(Path(state_dir), keyed=not full)
    if state.reset and not full and state.db.execute("SELECT 1 FROM kv WHERE key = 'files'").fetchone():
        state.close()
        raise StaleState("搜索索引的缓存来自旧版本，需要一次全量生成")
    db = state.db
    removed = set(removed_ids)
    if state.reset:
        known: dict[str, str] = {}
    elif full:
        known = dict(db.execute("SELECT id, hash FROM docs"))
        stats.state_rows = len(known)
    else:  # by key: the given documents only
        records = list(records)
        known = _hashes(db, [r["id"] for r in records] + sorted(removed))
        stats.state_rows = len(known)
    next_ord = 0 if state.reset else db.execute("SELECT COALESCE(MAX(ord) + 1, 0) FROM docs").fetchone()[0]
    seen: set[str] = set()

    def pending():
        # Runs in the pool's feeder thread on big builds: touches only ``known`` and ``seen``.
        for record in records:
            rid = record["id"]
            if rid in removed:
                continue
            seen.add(rid)
            if rid not in known:  # new: nothing to compare, the worker computes the hash
                yield record, None
                continue
            digest = _content_hash(record)
            if known[rid] != digest:
                yield record, digest

    _G["doc_url"] = doc_url
    _load_t2s(db)
    todo = pending()
    first = list(itertools.islice(todo, POOL_AFTER))
    if first:  # load the t2s tables and rjieba's dictionary once, before any fork
        document_arrays({"title": "預熱"})
    batches: Iterable = map(_tokenize, _batched(first, BATCH)) if first else ()
    pool = None
    procs = processes if processes is not None else min(4, os.cpu_count() or 1)
    if len(first) == POOL_AFTER and procs > 1:
        pool = fork_pool(procs)
        batches = itertools.chain(batches, pool.imap_unordered(_tokenize, _batched(todo, BATCH)))
    elif len(first) == POOL_AFTER:  # one process: the rest in-process too
        batches = itertools.chain(batches, map(_tokenize, _batched(todo, BATCH)))
    results = itertools.chain.from_iterable(batches)
    state.start(full)
    inserts: list[tuple] = []  # new documents, inserted with executemany (a third of the per-row cost)

    def insert_pending() -> None:
        db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", inserts)
        inserts.clear()

    try:
        for rid, digest, published, meta, bigram_ids, others, imps in results:
            tids = bigram_ids + array("I", state.tids(others.split("\x00") if others else [])).tobytes()
            stats.tokenized += 1
            if rid in known or not full:
                insert_pending()  # the row below may be one of them (an id given twice)
            if not full:
                old = db.execute("SELECT ord, off, n FROM docs WHERE id = ?", (rid,)).fetchone()
                stats.state_rows += old is not None
                _mark_dirty(db, old[0] if old else next_ord, old)
            off = state.tokens.append(tids, imps)
            if rid in known:
                db.execute("UPDATE docs SET hash=?, published=?, meta=?, off=?, n=? WHERE id=?",
                           (digest, published, meta, off, len(imps), rid))
            else:
                inserts.append((rid, next_ord, digest, published, meta, off, len(imps)))
                if len(inserts) >= 1024:
                    insert_pending()
                known[rid] = digest
                next_ord += 1
        insert_pending()
    except BaseException:
        db.execute("ROLLBACK")
        state.tokens.rollback()
        state.close()
        raise
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    if full:
        gone = [(rid,) for rid in known if rid not in seen]
        db.executemany("DELETE FROM docs WHERE id = ?", gone)
        stats.removed = len(gone)
        # Renumber by publication date: date order is ordinal order, newest block = newest documents.
        if sqlite3.sqlite_version_info >= (3, 33):  # UPDATE … FROM: a row-by-row UPDATE took 4x as long
            db.execute("""WITH r AS (SELECT id, ROW_NUMBER() OVER (ORDER BY published, id) - 1 AS rn FROM docs)
                          UPDATE docs SET ord = r.rn FROM r WHERE docs.id = r.id""")
        else:  # pragma: no cover - SQLite before 3.33
            ids = [r[0] for r in db.execute("SELECT id FROM docs ORDER BY published, id")]
            db.executemany("UPDATE docs SET ord = ? WHERE id = ?", ((i, rid) for i, rid in enumerate(ids)))
    else:
        for rid in removed:
            old = db.execute("SELECT ord, off, n FROM docs WHERE id = ?", (rid,)).fetchone()
            if old:
                stats.state_rows += 1
                _mark_dirty(db, old[0], old)
                stats.removed += db.execute("DELETE FROM docs WHERE id = ?", (rid,)).rowcount
    state.flush_vocab()
    state.tokens.sync()
    db.execute("COMMIT")
    stats.seconds["tokenize"] = time.perf_counter() - t0
    if tokens_only:
        state.close()
        return stats

    t1 = time.perf_counter()
    writer = _Writer(write_file or _default_writer(Path(out_dir)))
    keep = None
    try:
        if not full and merge is not True:
            written = write_delta(state, writer, stats, Path(out_dir), force=merge is False)
            if written is not None and written is not MERGE:
                writer.close()
                stats.seconds["assemble"] = time.perf_counter() - t1
                stats.files, stats.bytes, stats.delta = writer.files, writer.bytes, True
                state.close()
                return stats
            merge = written is MERGE
        if not full and merge:
            keep = patch_index(state, writer, stats, Path(out_dir), merge_changes(state))
            stats.patched = keep is not None
        if keep is None:
            state.load_vocab()
            _assemble(state, writer, stats, processes)
            keep = writer.paths
    except BaseException:
        writer.abort()
        state.close()
        raise
    writer.close()
    stats.seconds["assemble"] = time.perf_counter() - t1
    stats.files, stats.bytes = writer.files, writer.bytes
    _delete_stale(db, keep, delete_file or _default_deleter(Path(out_dir)))
    db.execute("DELETE FROM dirty")  # the main files now hold every change
    state.close()
    return stats


def cache_tokens(records: Iterable[dict], state_dir: Path | str, *, chunk: int = 5000,
                 doc_url: Callable[[dict], str] = default_doc_url, processes: int | None = None) -> int:
    """Tokenize ``records`` (added or changed documents, as the build will see them) into the
    index state ahead of the build, and return how many were tokenized.

    The import calls this for each batch it committed, so the build that follows (a full one after
    a bulk import) finds every document's tokens cached under its content hash and never tokenizes:
    at 200,000 documents that is most of the index's time. A record whose content differs from what
    the build later sees (an edit, a link resolved otherwise) simply has another hash, and the build
    tokenizes it then. Raises StaleState when the state holds another tokenizer's index (only a full
    build can replace it). ``chunk`` records at a time, so memory stays flat."""
    done = 0
    for batch in _batched(records, chunk):
        done += build_index(batch, state_dir, state_dir, full=False, tokens_only=True, doc_url=doc_url,
                            processes=processes).tokenized
    return done


def _hashes(db: sqlite3.Connection, ids: list[str]) -> dict[str, str]:
    """The content hashes of the given documents, by key."""
    out: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out.update(db.execute(f"SELECT id, hash FROM docs WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    return out


def _mark_dirty(db: sqlite3.Connection, ordinal: int, old: tuple | None) -> None:
    """An ordinal changed since the last merge; the first time, remember where the tokens the main
    files hold for it are (none for a document the main files never had)."""
    db.execute("INSERT OR IGNORE INTO dirty VALUES (?, ?, ?)",
               (ordinal, old[1] if old else None, old[2] if old else None))


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
    return _package_version("opencc-purepy")


def _default_deleter(out_dir: Path) -> Callable[[str], None]:
    def delete(rel: str) -> None:
        (out_dir / rel).unlink(missing_ok=True)

    return delete


def _delete_stale(db: sqlite3.Connection, paths: set[str], delete: Callable[[str], None]) -> None:
    """Remove the index files of the previous build that this build no longer references (and
    every delta file written since the last merge)."""
    previous = previous_files(db) | delta_files(db)
    for rel in sorted(previous - paths):
        delete(rel)
    db.execute("INSERT OR REPLACE INTO kv VALUES ('files', ?)", (orjson.dumps(sorted(paths)).decode(),))
    db.execute("DELETE FROM kv WHERE key = 'delta_files'")


def _compact_tokens(state: _State) -> None:
    """When more than half of the tokens file is old versions of changed documents, write the live
    part to a new file (in file order) and point the offsets at it, in one commit."""
    db = state.db
    total = db.execute("SELECT COALESCE(SUM(n), 0) FROM docs").fetchone()[0]
    state.tokens.fh.flush()
    if state.tokens.size <= 2 * 5 * total:
        return
    new_path = state.dir / f"tokens-{os.urandom(4).hex()}.bin"
    moved: list[tuple[int, str]] = []
    with open(state.tokens.path, "rb") as fh, open(new_path, "wb") as new_file:
        cursor = db.execute("SELECT off, n, id FROM docs ORDER BY off")
        while rows := cursor.fetchmany(8192):
            lo = rows[0][0]
            fh.seek(lo)
            buf = fh.read(rows[-1][0] + 5 * rows[-1][1] - lo)
            for off, n, rid in rows:
                moved.append((new_file.tell(), rid))
                new_file.write(buf[off - lo : off - lo + 5 * n])
        new_file.flush()
        os.fsync(new_file.fileno())
    old_path = state.tokens.path
    state.tokens.close()
    db.execute("BEGIN")
    db.executemany("UPDATE docs SET off = ? WHERE id = ?", moved)
    db.execute("INSERT OR REPLACE INTO kv VALUES ('tokens_file', ?)", (new_path.name,))
    db.execute("COMMIT")
    old_path.unlink(missing_ok=True)
    state.tokens = _Tokens(new_path)


# The assembly, in term ranges (ADR 0094). Every posting is a ``term << 32 | ordinal << 8 | impact``
# key; a term's output depends only on its own sorted keys, so the terms are split into ranges (by a
# hash of the term id) that are sorted and encoded one at a time, in worker processes on big
# builds: memory is one range's keys, not all 78 M postings (626 MB at 200k), and both cores work.
RANGE_POSTINGS = 1 << 20  # postings per term range (8 MB of keys, ~65 MB a task at its peak; < 65,536 ranges)
ROWS_PER_PART = 8192  # documents per partitioning task
CHUNKS_PER_TASK = 2048  # metadata chunks per task
POOL_POSTINGS = 1 << 21  # smaller assemblies run in-process
_A: dict = {}  # set before the pool forks, read by the assembly tasks


def _range_of(tids: np.ndarray, ranges: int) -> np.ndarray:
    """The term range of each term id: a multiplicative hash, so ranges get similar shares."""
    hashed = (tids.astype(np.uint64) * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)
    return (hashed * np.uint64(ranges) >> np.uint64(32)).astype(np.uint16)  # uint16: a radix argsort


def _partition(part: int) -> int:
    """Task: the keys of one slice of the documents (in tokens-file order), appended to one spill
    file per term range. Returns the number of postings."""
    rows, ranges, spill = _A["rows"], _A["ranges"], _A["spill"]
    rows = rows[part * ROWS_PER_PART : (part + 1) * ROWS_PER_PART]
    lo, hi = rows[0][1], rows[-1][1] + 5 * rows[-1][2]
    with open(_A["tokens"], "rb") as fh:
        fh.seek(lo)
        buf = fh.read(hi - lo)
    tid_parts, imp_parts = [], []
    for _ord, off, n in rows:
        a = off - lo
        tid_parts.append(buf[a : a + 4 * n])
        imp_parts.append(buf[a + 4 * n : a + 5 * n])
    del buf
    ords = np.fromiter((r[0] for r in rows), dtype=np.uint64, count=len(rows))
    counts = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    tids = np.frombuffer(b"".join(tid_parts), dtype=np.uint32)
    keys = tids.astype(np.uint64) << np.uint64(32)
    keys |= np.repeat(ords << np.uint64(8), counts)
    keys |= np.frombuffer(b"".join(imp_parts), dtype=np.uint8)
    if ranges == 1:
        keys.tofile(spill / f"0-{part}.bin")
        return len(keys)
    which = _range_of(tids, ranges)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(ranges + 1))
    keys = keys[order]
    for r in range(ranges):
        if bounds[r] < bounds[r + 1]:
            keys[bounds[r] : bounds[r + 1]].tofile(spill / f"{r}-{part}.bin")
    return len(keys)


class _PageSink:
    """What encode_term needs of a writer, in an assembly task: page files gzip'd here and handed
    to the main process (which alone writes: the build's writer records what it wrote)."""

    def __init__(self):
        self.pages: list[tuple[str, bytes]] = []

    def put(self, kind: str, raw: bytes, key: str | None = None) -> str:
        name = fmt.content_name(raw)[: fmt.SHORT_HASH]
        self.pages.append((f"{fmt.PREFIX}{kind}/{key}-{name}.bin", fmt.compress(raw)))
        return name


def _assemble_range(r: int) -> tuple[list, list, list, int]:
    """Task: one term range's shard entries ``(shard, term, entry bytes)``, gzip'd page files ``(path,
    bytes)`` and facet counts ``(term, df)``, from its spill files (removed once read); also its
    number of postings."""
    spill, state = _A["spill"], _A["state"]
    paths = sorted(spill.glob(f"{r}-*.bin"))
    keys = np.concatenate([np.fromfile(p, dtype=np.uint64) for p in paths] or [np.empty(0, np.uint64)])
    for p in paths:
        p.unlink()
    keys.sort()
    sink = _PageSink()
    entries, facets = [], []
    for lo, hi in _term_chunks(keys):
        for term, df, segs in _chunk_terms(state, keys[lo:hi]):
            entries.append((fmt.shard_of(term), term, entry_json(df, encode_term(sink, term, segs, df))))
            if term.startswith("f:"):
                facets.append((term, df))
    return entries, sink.pages, facets, len(keys)


def _meta_chunks(task: int) -> list[tuple[int, str, bytes]]:
    """Task: the metadata chunks ``(number, content hash, gzip'd bytes)`` of a range of ordinals,
    read from the state through a connection of its own (empty chunks left out)."""
    first = task * CHUNKS_PER_TASK
    # The last chunk holds only the ordinals that exist (not padded with nulls).
    lo, hi = first * fmt.META_CHUNK, min((first + CHUNKS_PER_TASK) * fmt.META_CHUNK, _A["ords"])
    rows: list[bytes | None] = [None] * (hi - lo)
    db = sqlite3.connect(f"file:{_A['db']}?mode=ro", uri=True)
    try:
        for ordinal, meta in db.execute("SELECT ord, meta FROM docs WHERE ord >= ? AND ord < ?", (lo, hi)):
            rows[ordinal - lo] = meta
    finally:
        db.close()
    out = []
    for i in range(CHUNKS_PER_TASK):
        chunk = rows[i * fmt.META_CHUNK : (i + 1) * fmt.META_CHUNK]
        if any(chunk):
            raw = b"[" + b",".join(m if m is not None else b"null" for m in chunk) + b"]"
            out.append((first + i, fmt.content_name(raw), fmt.compress(raw)))
    return out


def _term_chunks(keys: np.ndarray, step: int = 1 << 22):
    """(lo, hi) slices of the sorted keys of about ``step`` postings that never split a term."""
    lo, n = 0, len(keys)
    while lo < n:
        hi = min(n, lo + step)
        if hi < n:
            last = keys[hi - 1] >> np.uint64(32)
            hi = int(np.searchsorted(keys, (last + np.uint64(1)) << np.uint64(32)))
        yield lo, hi
        lo = hi


def _assemble(state: _State, writer: _Writer, stats: BuildStats, processes: int | None = None) -> None:
    """Write the whole index from the state: term ranges and metadata chunks in tasks (a fork pool
    on big builds), shards, directories and the manifest here. The bytes never depend on the
    number of ranges or processes."""
    db = state.db
    _compact_tokens(state)
    state.tokens.fh.flush()
    n_docs = db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
    n_ords = db.execute("SELECT COALESCE(MAX(ord), -1) + 1 FROM docs").fetchone()[0]
    rows = db.execute("SELECT ord, off, n FROM docs ORDER BY off").fetchall()
    total = sum(r[2] for r in rows)
    ranges = max(1, -(-total // RANGE_POSTINGS))
    spill = state.dir / "assembly.tmp"
    if spill.exists():  # left by a build that failed
        for p in spill.iterdir():
            p.unlink()
    spill.mkdir(exist_ok=True)
    bigram_term(0)  # the code tables and the id → term list, built once before any fork
    if state.vocab:
        state.term(BIGRAM_LIMIT)
    _A.update(rows=rows, ranges=ranges, spill=spill, tokens=str(state.tokens.path), state=state,
              db=str(state.dir / "search.sqlite3"), ords=n_ords)
    procs = processes if processes is not None else min(4, os.cpu_count() or 1)
    pool = fork_pool(procs) if procs > 1 and total >= POOL_POSTINGS else None
    imap = pool.imap_unordered if pool is not None else map
    shards: dict[tuple[str, int], dict[str, bytes]] = {}
    facets: dict[str, dict[str, int]] = {k: {} for k in FACET_KEYS}
    facet_names = {v: k for k, v in FACET_KEYS.items()}
    chunk_gens: dict[int, int] = {}
    stats.postings = stats.terms = 0
    try:
        t0 = time.perf_counter()
        for _ in imap(_partition, range(-(-len(rows) // ROWS_PER_PART))):
            pass
        t1 = time.perf_counter()
        stats.seconds["assemble_partition"] = t1 - t0
        del rows
        _A.pop("rows")
        n_chunks = -(-n_ords // fmt.META_CHUNK)
        tasks = itertools.chain(((_assemble_range, r) for r in range(ranges)),
                                ((_meta_chunks, t) for t in range(-(-n_chunks // CHUNKS_PER_TASK))))
        for kind, result in imap(_run_task, tasks):
            if kind == "c":
                for chunk, digest, packed in result:
                    gen = state.names.gen_of(f"c/{chunk}", digest)
                    writer.put_packed(f"{fmt.PREFIX}c/{fmt.listed_name(str(chunk), state.names.epoch, gen)}.bin", packed)
                    chunk_gens[chunk] = gen
                continue
            entries, pages, counts, postings = result
            for rel, packed in pages:
                writer.put_packed(rel, packed)
            for shard, term, entry in entries:
                shards.setdefault(shard, {})[term] = entry
            for term, df in counts:
                key, value = term[2:].split(":", 1)
                facets[facet_names[key]][value] = df
            stats.postings += postings
            stats.terms += len(entries)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        _A.clear()
        for p in spill.iterdir():
            p.unlink()
        spill.rmdir()

    t2 = time.perf_counter()
    stats.seconds["assemble_terms"] = t2 - t1
    shard_names: dict[str, list[int]] = {}
    for fam, count in fmt.FAMILIES.items():
        names = []
        for n in range(count):
            entries = shards.pop((fam, n), {})
            names.append(writer.put_listed(state.names, "s", f"{fam}{n}", shard_bytes(entries)) if entries else 0)
        shard_names[fam] = names
    chunk_names = [chunk_gens.get(i, 0) for i in range(-(-n_ords // fmt.META_CHUNK))]
    facets = {k: dict(sorted(v.items())) for k, v in facets.items()}
    finish_index(state, writer, n_docs, n_ords, shard_names, chunk_names, facets)
    stats.seconds["assemble_shards"] = time.perf_counter() - t2
    stats.documents = n_docs


def _run_task(task: tuple[Callable, int]) -> tuple[str, object]:
    fn, arg = task
    return ("c" if fn is _meta_chunks else "t"), fn(arg)

def _chunk_terms(state: _State, k: np.ndarray):
    """(term, df, [(block, count, raw), ...]) for every term of a slice of sorted keys: the gaps of
    all segments are computed in one vectorized pass, Python only slices bytes."""
    n = len(k)
    tids = (k >> np.uint64(32)).astype(np.uint32)
    ords = ((k >> np.uint64(8)) & np.uint64(0xFFFFFF)).astype(np.int64)
    blocks = ords // fmt.BLOCK
    starts = np.ones(n, dtype=bool)
    starts[1:] = (tids[1:] != tids[:-1]) | (blocks[1:] != blocks[:-1])
    gaps = ords.copy()
    gaps[1:] -= ords[:-1]
    gaps[starts] = ords[starts] - blocks[starts] * fmt.BLOCK
    low = (gaps & 0xFF).astype(np.uint8).tobytes()
    high = (gaps >> 8).astype(np.uint8).tobytes()
    imp_bytes = (k & np.uint64(0xFF)).astype(np.uint8).tobytes()
    seg_at = np.flatnonzero(starts)
    seg_tid = tids[seg_at]
    term_at = np.flatnonzero(np.diff(seg_tid.astype(np.int64), prepend=-1)).tolist()
    seg_end = np.append(seg_at[1:], n).tolist()
    seg_blk = blocks[seg_at].tolist()
    seg_tid = seg_tid.tolist()
    seg_at = seg_at.tolist()
    term_at.append(len(seg_at))
    for a, b in zip(term_at, term_at[1:], strict=False):
        segs = [(seg_blk[j], seg_end[j] - seg_at[j], low[seg_at[j] : seg_end[j]] + high[seg_at[j] : seg_end[j]]
                 + imp_bytes[seg_at[j] : seg_end[j]]) for j in range(a, b)]
        yield state.term(seg_tid[a]), seg_end[b - 1] - seg_at[a], segs
