"""Attachment files stored once, by content: ``<root>/<sha256[:2]>/<sha256>``.

An attachment is a government record: the bytes the department published, kept as they are.
Naming them by their SHA-256 means a file attached to many documents, imported twice or uploaded
again is stored once, a re-import that brings the same bytes writes nothing, and the site build
links the stored file into the release by its hash (a hard link: never re-read, never copied when
the store and the site share a file system). Plain Python (no Django): the importer, the admin's
upload hook, the site generator and the benchmarks use it. Files arrive through a temporary name
and one rename (``content_models.atomic``), so a stored name always holds the whole file.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from content_models.atomic import atomic_file, atomic_write_in
from content_models.files import sniff_type

CHUNK = 1 << 20
SMALL = 8 << 20  # files up to this size are read once into memory; larger ones are streamed twice
HEAD = 16


@dataclass(frozen=True)
class StoredFile:
    """A file in the store: its content hash, its size in bytes and its type read from its bytes."""

    sha256: str
    size: int
    kind: str


class FileStore:
    """The content-addressed store under ``root`` (``settings.GOVSITE_FILES_DIR``)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._root = str(self.root)
        self._dirs: set[str] = set()  # the <sha256[:2]> directories known to exist

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return bool(sha256) and self.path(sha256).is_file()

    def put_path(self, source: str | os.PathLike, name: str = "") -> StoredFile:
        """Store the file at ``source`` (OSError when it cannot be read: the caller reports it)."""
        source = os.fspath(source)
        name = name or os.path.basename(source)
        with open(source, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size <= SMALL:
                return self.put_bytes(fh.read(), name)
            digest = hashlib.sha256()
            head = fh.read(HEAD)
            digest.update(head)
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
            sha = digest.hexdigest()
            if not self.has(sha):
                fh.seek(0)
                self._write_stream(sha, fh)
        return StoredFile(sha, size, self._kind(head, name, self.path(sha)))

    def put_bytes(self, data: bytes, name: str = "") -> StoredFile:
        sha = hashlib.sha256(data).hexdigest()
        directory = os.path.join(self._root, sha[:2])
        if not os.path.isfile(os.path.join(directory, sha)):
            self._write_small(directory, sha, data)
        head = data[:HEAD]
        if head.startswith(b"PK\x03\x04"):
            names = _zip_names(data)
            if names is not None:
                return StoredFile(sha, len(data), sniff_type(head, name, names[:200]))
        return StoredFile(sha, len(data), self._kind(head, name, io.BytesIO(data)))

    def _write_small(self, directory: str, sha: str, data: bytes) -> None:
        """Write a file under its final name with one rename; its directory is made once per store
        object (and again if it went away since)."""
        if directory not in self._dirs:
            os.makedirs(directory, exist_ok=True)
            self._dirs.add(directory)
        try:
            atomic_write_in(directory, sha, data)
        except FileNotFoundError:
            os.makedirs(directory, exist_ok=True)
            atomic_write_in(directory, sha, data)

    def put_stream(self, fh: BinaryIO, name: str = "") -> StoredFile:
        """Store an open binary file (an uploaded file's storage handle); a large one is read twice
        (hash, then copy when new), so the store only ever gets a file under its final name whole."""
        data = fh.read(SMALL + 1)
        if len(data) <= SMALL:
            return self.put_bytes(data, name)
        digest = hashlib.sha256(data)
        size = len(data)
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
        sha = digest.hexdigest()
        if not self.has(sha):
            fh.seek(0)
            self._write_stream(sha, fh)
        return StoredFile(sha, size, self._kind(data[:HEAD], name, self.path(sha)))

    def _write_stream(self, sha: str, fh: BinaryIO) -> None:
        with atomic_file(self.path(sha), durable=False) as out:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                out.write(chunk)

    @staticmethod
    def _kind(head: bytes, name: str, stored: Path | BinaryIO) -> str:
        names = None
        if head.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(stored) as zf:
                    names = zf.namelist()[:200]
            except (OSError, zipfile.BadZipFile):
                names = None
        return sniff_type(head, name, names)


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory: signature, disks, entries, size, offset, comment
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # a central directory entry (zipfile.structCentralDir)


def _zip_names(data: bytes) -> list[str] | None:
    """The member names of a ZIP archive held in memory, as ``zipfile.ZipFile(...).namelist()`` gives
    them, read straight from the central directory for the plain layout that Office, WPS and OFD
    writers produce (no archive comment, no ZIP64, no extra fields, nothing before the archive);
    None for anything else, which ``zipfile`` then reads (and judges) itself. ``zipfile`` builds an
    object per member: this is the importer's type sniffing for Word, Excel and OFD files."""
    end = len(data) - _EOCD.size
    if end < 0 or data[end : end + 4] != b"PK\x05\x06":
        return None
    _sig, disk, cd_disk, _on_disk, _count, cd_size, cd_offset, comment = _EOCD.unpack_from(data, end)
    if disk or cd_disk or comment or cd_offset + cd_size != end or data[end - 20 : end - 16] == b"PK\x06\x07":
        return None
    names = []
    pos = cd_offset
    try:
        while pos < end:
            entry = _CENTRAL.unpack_from(data, pos)
            if entry[0] != b"PK\x01\x02" or entry[13] or entry[14] or entry[3] > zipfile.MAX_EXTRACT_VERSION:
                return None  # a bad signature, extra fields, a comment, a version zipfile refuses
            raw = data[pos + _CENTRAL.size : pos + _CENTRAL.size + entry[12]]
            name = raw.decode("utf-8" if entry[5] & 0x800 else "cp437")
            nul = name.find("\x00")
            names.append(name[:nul] if nul >= 0 else name)
            pos += _CENTRAL.size + entry[12]
    except (struct.error, UnicodeDecodeError):
        return None
    return names if pos == end else None


class SeenSources:
    """The source files an import already stored, so a re-import does not read them again.

    Keyed by path and the file's identity (size, mtime, ctime, inode: any rewrite changes ctime),
    kept in ``<store>/.sources.sqlite3``. A file whose identity is unchanged and whose hash the store
    holds is known without opening it; anything else is read and stored (``FileStore.put_path``).
    One per process and thread, as its SQLite connection (the importer's file workers each open their own).
    """

    def __init__(self, store: FileStore):
        self.store = store
        store.root.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(store.root / ".sources.sqlite3", timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # A cache: losing its last writes to a power cut costs a re-read, so no fsync per commit.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (path TEXT PRIMARY KEY, ident TEXT NOT NULL, "
                        "sha256 TEXT NOT NULL, size INTEGER NOT NULL, kind TEXT NOT NULL)")
        self._new: list[tuple] = []

    def put(self, source: str | os.PathLike, name: str, st: os.stat_result | None = None) -> StoredFile:
        """The stored file for ``source`` (OSError as ``put_path`` when it cannot be read); ``st``:
        its ``os.stat`` when the caller has it."""
        if st is None:
            st = os.stat(source)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(source))
        ident = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"
        key = str(source)
        row = self.db.execute("SELECT sha256, size, kind FROM seen WHERE path=? AND ident=?", (key, ident)).fetchone()
        if row is not None and self.store.has(row[0]):
            return StoredFile(row[0], row[1], row[2])
        stored = self.store.put_path(source, name)
        self._new.append((key, ident, stored.sha256, stored.size, stored.kind))
        return stored

    def flush(self) -> None:
        """Write what this batch stored, in one transaction (in autocommit, each row was its own
        commit with its own fsync: 53 s of a 20,000-document import)."""
        new, self._new = self._new, []
        if new:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)", new)
