"""The index's file writers, shared by the full assembly (``build``) and the patcher (``incremental``).

Both write the same shard, segment, metadata-chunk and directory files, so that a patched index is
byte-for-byte what a full assembly of the same state writes; the writers live here so that neither
module imports the other (``build`` falls back from ``incremental`` to a full assembly).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import orjson

from content_models.identifiers import ORGAN_SHORT_FORMS

from . import format as fmt
from .tokenize import t2s_map


class SegmentWriter(Protocol):
    """What the writers need of ``build._Writer``: content-named files, listed files, the manifest."""

    files: int

    def put(self, kind: str, raw: bytes, key: str | None = None) -> str: ...

    def put_listed(self, names: Any, kind: str, key: str, raw: bytes) -> int: ...

    def flush(self) -> None: ...

    def write(self, rel: str, raw: bytes) -> None: ...


def previous_files(db: sqlite3.Connection) -> set[str]:
    row = db.execute("SELECT value FROM kv WHERE key = 'files'").fetchone()
    return set(orjson.loads(row[0])) if row else set()


def shard_bytes(entries: dict[str, bytes]) -> bytes:
    """A shard file's JSON from already-encoded entries, keys in code-point order (deterministic)."""
    return b"{" + b",".join(orjson.dumps(t) + b":" + entries[t] for t in sorted(entries)) + b"}"


def segment_raw(block: int, ords: np.ndarray, imps: np.ndarray) -> bytes:
    """A segment's bytes: uint16 gaps from the block start, then the impact bytes."""
    gaps = np.diff(ords.astype(np.int64), prepend=block * fmt.BLOCK)
    return fmt.gap_bytes(gaps) + imps.astype(np.uint8).tobytes()


def encode_term(writer: SegmentWriter, term: str, segments: list[tuple[int, int, bytes]], df: int) -> list:
    """Segment refs ``[block, count, ref]`` of a term, from its segments ``(block, count, raw)`` in
    block order (whole groups of them) and its total ``df``.

    A term with at most INLINE_DF postings is inlined in its shard (base64); any other term's
    segments go to page files of ``group_blocks(df)`` blocks, refs ``@<page>`` or
    ``@<page>:<byte offset>``.
    """
    if df <= fmt.INLINE_DF:
        return [[blk, count, base64.b64encode(raw).decode("ascii")] for blk, count, raw in segments]
    group = fmt.group_blocks(df)
    prefix = f"{fmt.fnv1a(term):08x}."
    out: list = []
    i = 0
    while i < len(segments):
        first = segments[i][0] // group
        j = i
        while j < len(segments) and segments[j][0] // group == first:
            j += 1
        key = f"{prefix}{first * group}"
        name = f"{key}-{writer.put('p', b''.join(seg[2] for seg in segments[i:j]), key=key)}"
        offset = 0
        for blk, count, raw in segments[i:j]:
            out.append([blk, count, f"@{name}:{offset}" if offset else f"@{name}"])
            offset += len(raw)
        i = j
    return out


def entry_json(df: int, segments: list) -> bytes:
    """A shard entry's bytes from its segments ``[block, count, ref]``: what orjson.dumps gives for
    ``format.compact_entry`` (refs are ASCII), formatted directly. orjson.dumps of 380k small lists
    cost 1.5 GB of peak memory at 200k documents (its buffers fragment the heap)."""
    quote = '"'
    if df <= fmt.INLINE_DF:
        refs = ",".join([f"[{b},{c},{quote}{r}{quote}]" for b, c, r in segments])
        return f"[{df},[{refs}]]".encode()
    flat = ",".join([f"{b},{c}" for b, c, _r in segments])
    hashes = "".join([r.rpartition("-")[2] for _b, _c, r in segments if ":" not in r])
    return f"[{df},{fmt.group_blocks(df)},[{flat}],{quote}{hashes}{quote}]".encode()


def put_chunk(state: Any, writer: SegmentWriter, chunk: int, rows: list[bytes | None]) -> int:
    if not any(rows):
        return 0
    raw = b"[" + b",".join(r if r is not None else b"null" for r in rows) + b"]"
    return writer.put_listed(state.names, "c", str(chunk), raw)


def finish_index(state: Any, writer: SegmentWriter, n_docs: int, n_ords: int, shard_names: dict[str, list[int]],
            chunk_names: list[int], facets: dict) -> None:
    """Directory files, the t2s map and the manifest (the one file without a hashed name)."""
    def dirs(prefix: str, names: list[int], size: int) -> list[str]:
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
        "epoch": state.names.epoch,
        "docs": n_docs,
        "ords": n_ords,
        "block": fmt.BLOCK,
        "dir_size": fmt.DIR_SIZE,
        "families": families,
        "meta": {"chunk": fmt.META_CHUNK, "per_dir": fmt.META_DIR, "dirs": meta_dirs, "fields": fmt.META_FIELDS},
        "t2s": {"buckets": fmt.T2S_BUCKETS, "files": t2s},
        "facets": facets,
        # The one list of short organ names (content_models.identifiers), for search.js's 文号 keys.
        "doc_no": {"short_forms": [list(pair) for pair in ORGAN_SHORT_FORMS]},
        "scoring": {"k1": fmt.K1, "b": fmt.B, "avgdl": fmt.AVGDL, "q_max": fmt.Q_MAX, "title": fmt.TITLE_BOOST,
                    "word": fmt.WORD_BOOST, "exact": fmt.EXACT_BOOST, "stop": fmt.STOP_FRACTION,
                    "min_terms": fmt.MIN_TERMS, "max_terms": fmt.MAX_TERMS, "extra": fmt.EXTRA_RATIO,
                    "word_ratio": fmt.WORD_RATIO,
                    "max_words": fmt.MAX_WORDS, "title_per_bigram": fmt.TITLE_PER_BIGRAM, "title_postings": fmt.TITLE_POSTINGS,
                    "title_lists": fmt.TITLE_LISTS, "title_same_df": fmt.TITLE_SAME_DF,
                    "title_verify": fmt.TITLE_VERIFY, "phrase": fmt.PHRASE_BOOST, "first_year": fmt.FIRST_YEAR,
                    "title_scan_blocks": fmt.TITLE_SCAN_BLOCKS},
        "built": datetime.now(UTC).isoformat(timespec="microseconds"),
    }
    state.db.execute("INSERT OR REPLACE INTO kv VALUES ('main', ?)",
                     (orjson.dumps({"docs": n_docs, "ords": n_ords, "facets": facets}).decode(),))
    writer.flush()  # every file the manifest names is written before the manifest
    state.names.save()
    writer.write(fmt.PREFIX + "manifest.json", json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
    writer.files += 1
    state.db.execute("INSERT OR REPLACE INTO kv VALUES ('built', ?)", (manifest["built"],))
