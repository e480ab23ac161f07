"""What a published site consists of: relative path → content hash, size and headers.

The same manifest describes the local build (from a scan) and what a target holds (stored on
the target as the last object of every publish), so a publish is a comparison of two dicts.
MD5 is the hash because it is what S3 and its Chinese-cloud look-alikes return as the ETag of a
single-part upload: a listing can then confirm an object without downloading it.

Scanning 24k files would re-read ~330 MB on every publish; a stat cache (size + mtime_ns per
path) lets a one-document publish hash only the files the build rewrote.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import orjson

from content_models.atomic import atomic_write

from .headers import HEAD_BYTES, HeaderRules, content_type

FORMAT = "govsite-publish-manifest/1"
# Files of ours that live inside a published tree but are never published themselves.
RESERVED_PREFIX = ".govsite"


class Entry(NamedTuple):
    """One published file. A tuple, so that building and comparing 200k of them stays cheap."""

    md5: str
    size: int
    content_type: str
    cache_control: str


Manifest = dict[str, Entry]


class ManifestError(ValueError):
    """A stored manifest that cannot be read."""


def md5_file(path: str | os.PathLike) -> tuple[str, int, bytes]:
    """(hex md5, size, first ``HEAD_BYTES``) of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    head = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if not head:
                head = chunk[:HEAD_BYTES]
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, head


def iter_files(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(relative posix path, stat) of every file under ``root``, our own ``.govsite*`` files excepted."""
    stack = [("", str(root))]
    while stack:
        rel_dir, abs_dir = stack.pop()
        with os.scandir(abs_dir) as it:
            for de in it:
                name = de.name
                if name.startswith(RESERVED_PREFIX):
                    continue
                if de.is_dir():
                    stack.append((f"{rel_dir}{name}/", de.path))
                else:
                    st = de.stat()
                    if stat.S_ISREG(st.st_mode):
                        yield rel_dir + name, st


def scan_site(
    root: str | os.PathLike,
    *,
    rules: HeaderRules | None = None,
    cache_path: str | os.PathLike | None = None,
    workers: int = 4,
    progress: Callable[[int], None] | None = None,
) -> Manifest:
    """Manifest of a site directory, walking the whole tree.

    ``cache_path`` keeps (size, mtime_ns, md5, type, cache-control) per path between runs, so
    only files whose stat changed are read.
    """
    rules = rules or HeaderRules()
    root = Path(root).resolve()
    if not root.is_dir():
        raise FileNotFoundError(root)
    cache, written, rules_key = _load_cache(cache_path)
    if rules_key != repr(rules):
        cache = {}  # new cache lifetimes: every header must be recomputed
    new_cache: dict[str, list] = {}
    manifest: Manifest = {}
    misses: list[tuple[str, os.stat_result]] = []
    cache_control = rules.cache_control
    for rel, st in iter_files(root):
        hit = cache.get(rel)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            new_cache[rel] = hit
            manifest[rel] = Entry(hit[2], hit[0], hit[3], hit[4])
        else:
            misses.append((rel, st))

    def hash_one(item: tuple[str, os.stat_result]) -> tuple[str, os.stat_result, str, int, str]:
        rel, st = item
        md5, size, head = md5_file(root / rel)
        return rel, st, md5, size, content_type(rel, head)

    done = 0
    pool = ThreadPoolExecutor(max_workers=max(1, workers)) if len(misses) > 64 else None
    results = pool.map(hash_one, misses, chunksize=32) if pool else map(hash_one, misses)
    try:
        for rel, st, md5, size, ctype in results:
            cc = cache_control(rel)
            manifest[rel] = Entry(md5, size, ctype, cc)
            # a file rewritten while we read it keeps a stale stat: do not cache it
            if size == st.st_size:
                new_cache[rel] = [st.st_size, st.st_mtime_ns, md5, ctype, cc]
            done += 1
            if progress and done % 1000 == 0:
                progress(done)
    finally:
        if pool:
            pool.shutdown()
    if cache_path is not None:
        _save_cache(cache_path, new_cache, time.time(), repr(rules))
    return manifest


def rescan_dirs(
    root: str | os.PathLike, base: Manifest, paths: Iterable[str], *, rules: HeaderRules | None = None
) -> Manifest:
    """``base`` (the manifest of the tree as last published) updated for the directories of
    ``paths`` (what the builds changed since): the named files are hashed, everything else is
    taken from ``base`` without reading it.

    The directories of the named files are listed too: a build step that deletes or adds a
    sibling without reporting it (old content-hashed search files replaced by new ones) is still
    noticed -- new names are hashed, vanished ones dropped -- for one listing per directory.
    """
    rules = rules or HeaderRules()
    root = Path(root).resolve()
    named = {p.strip("/") for p in paths if p.strip("/")}
    dirs = {p.rpartition("/")[0] for p in named}
    manifest: Manifest = {rel: e for rel, e in base.items() if rel.rpartition("/")[0] not in dirs}
    for d in sorted(dirs):
        if d.split("/", 1)[0].startswith(RESERVED_PREFIX):
            continue
        try:
            with os.scandir(root / d if d else root) as it:
                names = [de.name for de in it if de.is_file() and not de.name.startswith(RESERVED_PREFIX)]
        except (FileNotFoundError, NotADirectoryError):
            continue  # the directory went away with its files
        prefix = f"{d}/" if d else ""
        for name in names:
            rel = prefix + name
            if rel not in named and rel in base:
                manifest[rel] = base[rel]  # a sibling the builds did not name: as published
                continue
            md5, size, head = md5_file(root / rel)
            manifest[rel] = Entry(md5, size, content_type(rel, head), rules.cache_control(rel))
    return manifest


def _load_cache(cache_path) -> tuple[dict[str, list], float, str]:
    """{rel: [size, mtime_ns, md5, content type, cache control]}, time of the last walk, rules."""
    if cache_path is None:
        return {}, 0.0, ""
    try:
        data = orjson.loads(Path(cache_path).read_bytes())
        return data["files"], float(data["written"]), str(data["rules"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return {}, 0.0, ""


def _save_cache(cache_path, cache: dict[str, list], written: float, rules_key: str) -> None:
    try:
        # no fsync: after a crash a lost cache only means hashing again
        atomic_write(
            Path(cache_path),
            orjson.dumps({"written": written, "rules": rules_key, "files": cache}),
            durable=False,
            private=True,
        )
    except OSError:
        pass  # the cache only saves time


def new_manifest_id() -> str:
    return uuid.uuid4().hex


Retired = dict[str, tuple[Entry, float]]


@dataclass
class ManifestInfo:
    """What a stored manifest says besides the files."""

    id: str | None = None  # lets a publisher know the manifest is the one it wrote
    run: str | None = None  # the publish run that wrote it: that run's journal is complete
    # content-hashed files gone from the site but kept on the target for a grace period, because
    # pages and search manifests cached by browsers and CDNs may still name them
    retired: Retired = field(default_factory=dict)


def dump_manifest(
    manifest: Manifest, *, mid: str | None = None, run: str | None = None, retired: Retired | None = None
) -> bytes:
    """Gzip'd JSON; header pairs are stored once in a table (26k entries ≈ 1 MB)."""
    table: dict[tuple[str, str], int] = {}

    def index(e: Entry) -> int:
        key = (e.content_type, e.cache_control)
        idx = table.get(key)
        if idx is None:
            idx = table[key] = len(table)
        return idx

    files = {rel: (e.md5, e.size, index(e)) for rel, e in manifest.items()}
    old = {rel: (e.md5, e.size, index(e), since) for rel, (e, since) in (retired or {}).items()}
    doc = {
        "format": FORMAT,
        "id": mid or new_manifest_id(),
        "run": run,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "headers": [list(k) for k in table],
        "files": files,
        "retired": old,
    }
    return gzip.compress(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS), compresslevel=1, mtime=0)


def load_manifest_doc(data: bytes) -> tuple[Manifest, ManifestInfo]:
    try:
        doc = orjson.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        if doc.get("format") != FORMAT:
            raise ManifestError(f"unknown manifest format {doc.get('format')!r}")
        headers = doc["headers"]
        files = {rel: Entry(md5, size, *headers[idx]) for rel, (md5, size, idx) in doc["files"].items()}
        retired = {
            rel: (Entry(md5, size, *headers[idx]), float(since))
            for rel, (md5, size, idx, since) in (doc.get("retired") or {}).items()
        }
        return files, ManifestInfo(doc.get("id"), doc.get("run"), retired)
    except ManifestError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage means the same thing
        raise ManifestError(str(exc)) from exc


def load_manifest(data: bytes) -> Manifest:
    return load_manifest_doc(data)[0]


# -- A bucket's manifest in two layers (ADR 0157) -----------------------------------------------
# The head object (rewritten by every publish) names an immutable, content-named base object (the
# whole manifest as ``dump_manifest`` writes it) and carries the entries changed since that base.
# A publish writes the head alone: its size follows the changes since the base, not the site. Once
# those pass LOG_MAX entries, the publish writes a new base (the fold) and an empty head.
HEAD_FORMAT = "govsite-publish-manifest-head/1"
LOG_MAX = 4096


def base_name(data: bytes) -> str:
    """The object name of a base (content-named: a cached copy of that name is never stale)."""
    return f"manifest-base-{hashlib.sha256(data).hexdigest()[:32]}.json.gz"


def manifest_changes(base: Manifest, manifest: Manifest) -> dict[str, Entry | None]:
    """What ``manifest`` changes in ``base``: changed or new entries, and None for removed paths."""
    out: dict[str, Entry | None] = {rel: e for rel, e in manifest.items() if base.get(rel) != e}
    out.update(dict.fromkeys(base.keys() - manifest.keys()))
    return out


def dump_head(base: str, changes: dict[str, Entry | None], *, mid: str, run: str | None,
              retired: Retired | None) -> bytes:
    table: dict[tuple[str, str], int] = {}

    def row(e: Entry) -> list:
        key = (e.content_type, e.cache_control)
        idx = table.setdefault(key, len(table))
        return [e.md5, e.size, idx]

    doc = {
        "format": HEAD_FORMAT,
        "id": mid,
        "run": run,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": base,
        "changes": {rel: (row(e) if e else None) for rel, e in changes.items()},
        "retired": {rel: [*row(e), since] for rel, (e, since) in (retired or {}).items()},
    }
    doc["headers"] = [list(k) for k in table]
    return gzip.compress(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS), mtime=0)


def load_head(data: bytes) -> tuple[str | None, dict[str, Entry | None], ManifestInfo] | None:
    """``(base name, changes, info)`` of a head; None when ``data`` is a whole manifest (format 1)."""
    try:
        doc = orjson.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        if doc.get("format") == FORMAT:
            return None
        if doc.get("format") != HEAD_FORMAT:
            raise ManifestError(f"unknown manifest format {doc.get('format')!r}")
        headers = doc["headers"]
        changes = {rel: (Entry(v[0], v[1], *headers[v[2]]) if v else None) for rel, v in doc["changes"].items()}
        retired = {rel: (Entry(md5, size, *headers[idx]), float(since))
                   for rel, (md5, size, idx, since) in (doc.get("retired") or {}).items()}
        return str(doc["base"]), changes, ManifestInfo(doc.get("id"), doc.get("run"), retired)
    except ManifestError:
        raise
    except Exception as exc:  # noqa: BLE001 - any damage means the same thing
        raise ManifestError(str(exc)) from exc


def apply_changes(base: Manifest, changes: dict[str, Entry | None]) -> Manifest:
    out = dict(base)
    for rel, e in changes.items():
        if e is None:
            out.pop(rel, None)
        else:
            out[rel] = e
    return out
