"""Patch the previous index in place of a full assembly (incremental builds).

Ordinals are stable between full builds, so a changed or withdrawn document touches only its own
terms, and only in its own block: the shards holding those terms, their segments of that block,
its metadata chunk, the directory files and the manifest. Everything else keeps its bytes and its
name. The result is byte-for-byte what a full assembly of the same state writes (tested), so
correctness never depends on which path ran.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson

from . import format as fmt
from .query import IndexMissing, SearchIndex
from .segments import encode_term, finish_index, previous_files, put_chunk, segment_raw, shard_bytes
from .tokenize import FACET_KEYS


def patch_index(state, writer, stats, out_dir: Path, changes: dict[int, tuple]) -> set[str] | None:
    """Write the changed files; return the set of index files of the new build, or None to fall back."""

    db = state.db
    reader = SearchIndex(out_dir, cache_files=1 << 16)
    try:
        manifest = reader._load_manifest()
    except IndexMissing:
        return None
    row = db.execute("SELECT value FROM kv WHERE key = 'built'").fetchone()
    if (not row or manifest.get("built") != row[0] or manifest.get("version") != fmt.VERSION
            or manifest.get("block") != fmt.BLOCK
            or manifest["meta"]["chunk"] != fmt.META_CHUNK or manifest.get("dir_size") != fmt.DIR_SIZE
            or {f: v["shards"] for f, v in manifest["families"].items()} != fmt.FAMILIES):
        return None
    main = db.execute("SELECT value FROM kv WHERE key = 'main'").fetchone()
    if main:  # a manifest with a delta counts the delta's documents: patch the main index's figures
        manifest = {**manifest, **{k: v for k, v in orjson.loads(main[0]).items() if k in ("ords", "facets")}}
    previous = previous_files(db)
    dropped = {p for p in previous if p.startswith((fmt.PREFIX + "d/", fmt.PREFIX + "t/"))}

    # term id -> block -> (ordinals to drop, {ordinal: impact} to add)
    updates: dict[int, dict[int, tuple[set, dict]]] = defaultdict(dict)
    for ordinal, (old_t, _old_i, new_t, new_i, _meta) in changes.items():
        blk = ordinal // fmt.BLOCK
        if old_t:
            for tid in np.frombuffer(old_t, dtype=np.uint32).tolist():
                updates[tid].setdefault(blk, (set(), {}))[0].add(ordinal)
        if new_t:
            for tid, imp in zip(np.frombuffer(new_t, dtype=np.uint32).tolist(), new_i, strict=True):
                updates[tid].setdefault(blk, (set(), {}))[1][ordinal] = imp
    by_shard: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for tid in updates:
        term = state.term(tid)
        by_shard[fmt.shard_of(term)].append((term, tid))

    epoch = manifest.get("epoch")
    if epoch != state.names.epoch:
        return None
    shard_names: dict[str, list[int]] = {}
    for fam, info in manifest["families"].items():
        listed: list[int] = []
        for d in info["dirs"]:
            listed.extend(reader._file("d", d))
        shard_names[fam] = listed
    facets = {k: dict(v) for k, v in manifest["facets"].items()}
    facet_names = {v: k for k, v in FACET_KEYS.items()}

    for (fam, n), terms in by_shard.items():
        old_gen = shard_names[fam][n]
        old_name = fmt.listed_name(f"{fam}{n}", epoch, old_gen)
        entries = dict(reader._file("s", old_name)) if old_gen else {}
        if old_gen:
            dropped.add(f"{fmt.PREFIX}s/{old_name}.bin")
        for term, tid in terms:
            entry = fmt.expand_entry(term, entries[term]) if term in entries else None
            segs = {seg[0]: seg for seg in entry[1]} if entry else {}
            changed_blocks = updates[tid]
            decoded: dict[int, dict[int, int]] = {}

            def decode(blk: int, segs=segs, decoded=decoded) -> None:
                if blk in decoded:
                    return
                seg = segs.get(blk)
                postings: dict[int, int] = {}
                if seg is not None:
                    ords, imps = reader.segment(*seg)
                    postings = dict(zip(ords.tolist(), imps.tolist(), strict=True))
                    if seg[2].startswith("@"):
                        dropped.add(f"{fmt.PREFIX}p/{seg[2][1:].partition(':')[0]}.bin")
                decoded[blk] = postings

            old_df = entry[0] if entry else 0
            for blk in changed_blocks:
                decode(blk)
            for blk, (drop, add) in changed_blocks.items():
                for o in drop:
                    decoded[blk].pop(o, None)
                decoded[blk].update(add)
            df = sum(len(p) for p in decoded.values()) + sum(s[1] for b, s in segs.items() if b not in decoded)
            # Re-encode whole page groups (segments.encode_term): the changed blocks' groups, or every
            # block when the term moves between inline and paged, or to another group size.
            group = 0 if df <= fmt.INLINE_DF else fmt.group_blocks(df)
            if group == 0 or old_df <= fmt.INLINE_DF or group != fmt.group_blocks(old_df):
                todo = set(segs)
            else:
                touched = {b // group for b in changed_blocks}
                todo = {b for b in segs if b // group in touched}
            for blk in todo:
                decode(blk)
            for blk in [b for b, p in decoded.items() if not p]:
                del decoded[blk]
                segs.pop(blk, None)
            encoded = encode_term(writer, term, [
                (blk, len(p), segment_raw(blk, np.array(sorted(p), dtype=np.uint32),
                                          np.array([p[o] for o in sorted(p)], dtype=np.uint8)))
                for blk, p in sorted(decoded.items())], df)
            for seg in encoded:
                segs[seg[0]] = seg
            if df:
                entries[term] = fmt.compact_entry(df, [segs[b] for b in sorted(segs)])
            else:
                entries.pop(term, None)
            if term.startswith("f:"):
                key, value = term[2:].split(":", 1)
                if df:
                    facets[facet_names[key]][value] = df
                else:
                    facets[facet_names[key]].pop(value, None)
        encoded = {t: orjson.dumps(e) for t, e in entries.items()}
        shard_names[fam][n] = writer.put_listed(state.names, "s", f"{fam}{n}", shard_bytes(encoded)) if entries else 0

    n_docs = db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
    n_ords = db.execute("SELECT COALESCE(MAX(ord), -1) + 1 FROM docs").fetchone()[0]
    chunk_names: list[int] = []
    for d in manifest["meta"]["dirs"]:
        chunk_names.extend(reader._file("d", d))
    n_chunks = -(-n_ords // fmt.META_CHUNK)
    touched = {o // fmt.META_CHUNK for o in changes}
    if n_ords != manifest["ords"] and n_chunks:
        touched.add(n_chunks - 1)
    for c in range(n_chunks, len(chunk_names)):  # chunks past the end (the last documents were withdrawn)
        if chunk_names[c]:
            dropped.add(f"{fmt.PREFIX}c/{fmt.listed_name(str(c), epoch, chunk_names[c])}.bin")
    chunk_names = chunk_names[:n_chunks] + [0] * max(0, n_chunks - len(chunk_names))
    for c in sorted(t for t in touched if t < n_chunks):
        lo = c * fmt.META_CHUNK
        rows: list[bytes | None] = [None] * min(fmt.META_CHUNK, n_ords - lo)
        if chunk_names[c]:
            old_name = fmt.listed_name(str(c), epoch, chunk_names[c])
            dropped.add(f"{fmt.PREFIX}c/{old_name}.bin")
            for i, r in enumerate(reader._file("c", old_name)[: len(rows)]):
                rows[i] = orjson.dumps(r) if r is not None else None
        for o in range(lo, lo + len(rows)):
            if o in changes:
                rows[o - lo] = changes[o][4]
        chunk_names[c] = put_chunk(state, writer, c, rows)

    facets = {k: dict(sorted(v.items())) for k, v in facets.items()}
    finish_index(state, writer, n_docs, n_ords, shard_names, chunk_names, facets)
    stats.documents = n_docs
    stats.terms = len(updates)
    return (previous - dropped) | writer.paths
