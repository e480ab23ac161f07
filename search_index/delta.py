"""The delta: an incremental build writes the changed documents beside the main index.

Patching the main files for one changed document rewrites the shard of every term it holds, and
the directory files that list them: hundreds of files at 200k documents, each one more upload
when publishing. The delta instead holds every document changed since the last merge, inline
in the manifest (``format`` describes it; ADR 0161), rewritten from the build state on each
incremental build: a one-document change writes the manifest alone. Queries (``query.py``,
``search.js``) drop the delta's dead ordinals from the main segments and add its postings.

Once the delta holds more than ``DELTA_MAX_BYTES`` (gzip'd and base64'd, what a query pays more) or ``DELTA_MAX_DOCS`` documents, a
build merges it into the main files instead; the site's plugin (``plugin.py``) never does so in
the build of an editor's change, but in a build of its own that the build worker runs next
(``merge_due``, ADR 0145). The merge (``incremental.patch_index``, which writes exactly
what a full assembly writes) and deletes the delta files. The state keeps, per changed ordinal,
where the tokens the main files hold for it are (table ``dirty``), so the delta and the merge are
computed from the state alone, whatever builds failed in between.

Delta files of indexes written before (``x/<hash>.bin``) are named by content and never deleted by a
delta build (a query may hold the previous manifest); the merge removes them.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import numpy as np
import orjson

from . import format as fmt
from .tokenize import FACET_KEYS

MERGE = object()  # write_delta's answer when the delta is too big: merge it instead


def delta_files(db: sqlite3.Connection) -> set[str]:
    """Every delta file written since the last merge (the merge deletes them)."""
    row = db.execute("SELECT value FROM kv WHERE key = 'delta_files'").fetchone()
    return set(orjson.loads(row[0])) if row else set()


def merge_due(state_dir: Path) -> bool:
    """Whether the delta has outgrown its bounds (``DELTA_MAX_DOCS`` documents or, when last
    written, ``DELTA_MAX_BYTES``): the build worker then merges it in a build of its own, after the
    editor's change is live (ADR 0145). Read-only, and False when there is no state."""
    path = Path(state_dir) / "search.sqlite3"
    if not path.is_file():
        return False
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            docs = db.execute("SELECT COUNT(*) FROM dirty").fetchone()[0]
            row = db.execute("SELECT value FROM kv WHERE key = 'delta_bytes'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return docs > 0 and (docs > fmt.DELTA_MAX_DOCS or (row is not None and int(row[0]) > fmt.DELTA_MAX_BYTES))


def _main_manifest(out_dir: Path, state) -> dict | None:
    """The manifest of the main index the state last wrote, or None (then the caller assembles)."""
    try:
        manifest = json.loads((out_dir / fmt.PREFIX / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    row = state.db.execute("SELECT value FROM kv WHERE key = 'built'").fetchone()
    main = state.db.execute("SELECT value FROM kv WHERE key = 'main'").fetchone()
    if (not row or not main or manifest.get("built") != row[0] or manifest.get("version") != fmt.VERSION
            or manifest.get("epoch") != state.names.epoch or manifest.get("block") != fmt.BLOCK):
        return None
    return manifest


def _rows(state, dirty: list[tuple]) -> list[tuple]:
    """(ordinal, meta, off, n) of the live documents among the dirty ordinals, by key."""
    ords = [d[0] for d in dirty]
    out = []
    for i in range(0, len(ords), 500):
        chunk = ords[i : i + 500]
        out += state.db.execute(
            f"SELECT ord, meta, off, n FROM docs WHERE ord IN ({','.join('?' * len(chunk))})", chunk).fetchall()
    return sorted(out)


def _facet_terms(state, tids: bytes) -> list[str]:
    terms = state.terms_of(np.frombuffer(tids, dtype=np.uint32).tolist())
    return [t for t in terms if t.startswith("f:")]


def write_delta(state, writer, stats, out_dir: Path, *, force: bool = False):
    """Write the delta files and the manifest; ``MERGE`` when the delta has outgrown its bounds
    (unless ``force``), None when there is no main index to put it beside (assemble instead)."""
    manifest = _main_manifest(out_dir, state)
    if manifest is None:
        return None
    db = state.db
    main = orjson.loads(db.execute("SELECT value FROM kv WHERE key = 'main'").fetchone()[0])
    dirty = db.execute("SELECT ord, off, n FROM dirty ORDER BY ord").fetchall()
    if not force and len(dirty) > fmt.DELTA_MAX_DOCS:
        return MERGE
    live = _rows(state, dirty)
    stats.state_rows += len(live)
    dead = [o for o, off, _n in dirty if off is not None]

    facet_names = {v: k for k, v in FACET_KEYS.items()}
    facets = {k: dict(v) for k, v in main["facets"].items()}

    def count(term: str, step: int) -> None:
        key, value = term[2:].split(":", 1)
        values = facets.setdefault(facet_names[key], {})
        values[value] = values.get(value, 0) + step
        if values[value] <= 0:
            del values[value]

    for _o, off, n in dirty:
        if off is not None:
            for term in _facet_terms(state, state.tokens.read(off, n)[0]):
                count(term, -1)
    postings: dict[str, list[int]] = {}
    for o, _meta, off, n in live:
        tids, imps = state.tokens.read(off, n)
        terms = state.terms_of(np.frombuffer(tids, dtype=np.uint32).tolist())
        for term, imp in zip(terms, imps, strict=True):
            postings.setdefault(term, []).extend((o, imp))
            if term.startswith("f:"):
                count(term, 1)

    # The delta's postings and rows, inline in the manifest (ADR 0161): [{term: [ordinal, impact,
    # ...]}, [[ordinal, row], ...]], gzip'd and base64'd, so a change writes the manifest alone.
    meta_raw = b"[" + b",".join(b"[%d,%s]" % (o, meta) for o, meta, _off, _n in live) + b"]"
    inline = base64.b64encode(fmt.compress(
        b"[" + orjson.dumps(postings, option=orjson.OPT_SORT_KEYS) + b"," + meta_raw + b"]")).decode("ascii")
    size = len(inline)
    if not force and size > fmt.DELTA_MAX_BYTES:
        return MERGE

    if dirty:
        manifest["delta"] = {"dead": dead, "ords": [r[0] for r in live], "buckets": [], "meta": "", "inline": inline}
    else:
        manifest.pop("delta", None)
    manifest["docs"] = main["docs"] - len(dead) + len(live)
    manifest["ords"] = max([main["ords"]] + [r[0] + 1 for r in live])
    manifest["facets"] = {k: dict(sorted(v.items())) for k, v in facets.items()}
    writer.flush()  # the delta files before the manifest that names them
    writer.write(fmt.PREFIX + "manifest.json", json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
    writer.files += 1
    db.execute("INSERT OR REPLACE INTO kv VALUES ('delta_files', ?)",
               (orjson.dumps(sorted(delta_files(db) | writer.paths)).decode(),))
    db.execute("INSERT OR REPLACE INTO kv VALUES ('delta_bytes', ?)", (str(size),))
    stats.documents = manifest["docs"]
    return writer.paths


def merge_changes(state) -> dict[int, tuple]:
    """What ``incremental.patch_index`` takes: per dirty ordinal, the tokens the main files hold for
    it and its current tokens and metadata row (None for a withdrawn document)."""
    db = state.db
    dirty = db.execute("SELECT ord, off, n FROM dirty ORDER BY ord").fetchall()
    current = {o: (meta, off, n) for o, meta, off, n in _rows(state, dirty)}
    changes: dict[int, tuple] = {}
    for o, off, n in dirty:
        old = state.tokens.read(off, n) if off is not None else (None, None)
        new = current.get(o)
        if old[0] is None and new is None:
            continue  # added and withdrawn again before any merge: the main files never had it
        changes[o] = (*old, *(state.tokens.read(new[1], new[2]) if new else (None, None)),
                      new[0] if new else None)
    return changes
