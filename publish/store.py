"""A directory target's manifest as a keyed store, so a publish costs what changed, not the site.

A directory target kept each release's whole manifest as one JSON file: 250k entries at 200k
documents, read twice and written once per publish (48-105 s to switch a one-document change
at load 20; ADR 0144). The store is one SQLite file beside the releases
(``.<name>.releases/.govsite-manifest.sqlite3``) that says what the *live* release holds, by
path, and, per release, which paths it changed from the one before (the journal). A publish that
can trust the builds' change log reads the entries of the directories the builds named, by key;
bringing the oldest release up to date touches the paths of the journals since it; the commit
writes the changed rows. Anything the store cannot vouch for (another release made live by a
rollback, a missing journal) sends the publish down the full path, which rewrites the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .manifest import Entry, Manifest, Retired

NAME = ".govsite-manifest.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (rel TEXT PRIMARY KEY, md5 TEXT, size INTEGER, ctype TEXT, cc TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retired (rel TEXT PRIMARY KEY, md5 TEXT, size INTEGER, ctype TEXT, cc TEXT,
                                    since REAL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (release TEXT NOT NULL, rel TEXT NOT NULL, PRIMARY KEY (release, rel))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


_LAST = "\U0010ffff"  # the greatest character: every path under "d/" sorts before "d/" + _LAST


def _children(d: str) -> tuple[str, str]:
    """The key range of the paths under directory ``d`` ("" is the root)."""
    prefix = f"{d}/" if d else ""
    return prefix, prefix + _LAST


class ManifestStore:
    def __init__(self, releases_dir: Path):
        releases_dir.mkdir(parents=True, exist_ok=True)
        self.path = releases_dir / NAME
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def describes(self) -> tuple[str | None, str | None]:
        """(release name, manifest id) of the release the store describes."""
        return self._meta("release"), self._meta("manifest_id")

    def journaled(self) -> set[str]:
        """Releases whose changes from their predecessor the journal holds."""
        value = self._meta("journaled")
        return set(value.split("\n")) - {""} if value else set()

    # -- reads ----------------------------------------------------------------------------
    def in_dirs(self, dirs: Iterable[str]) -> Manifest:
        """The entries of the files directly in the given directories.

        Each subdirectory is stepped over by one query on the key, not read: the root directory
        (a new document rewrites the home page) holds every path of the site under it, 360k rows at
        200k documents, which took a second to read and drop (ADR 0162)."""
        out: Manifest = {}
        for d in dirs:
            prefix, hi = _children(d)
            after = prefix  # no path is a directory's own prefix ("" or "d/")
            while True:
                jump = None
                for rel, md5, size, ctype, cc in self.db.execute(  # stepped lazily: left once jump is set
                        "SELECT rel, md5, size, ctype, cc FROM files WHERE rel > ? AND rel < ? ORDER BY rel",
                        (after, hi)):
                    slash = rel.find("/", len(prefix))
                    if slash >= 0:  # the first path of a subdirectory: go on after all of it
                        jump = rel[: slash + 1] + _LAST
                        break
                    out[rel] = Entry(md5, size, ctype, cc)
                if jump is None:
                    break
                after = jump
        return out

    def has(self, rel: str) -> bool:
        return self.db.execute("SELECT 1 FROM files WHERE rel=?", (rel,)).fetchone() is not None

    def retired(self) -> Retired:
        return {rel: (Entry(md5, size, ctype, cc), since) for rel, md5, size, ctype, cc, since
                in self.db.execute("SELECT rel, md5, size, ctype, cc, since FROM retired")}

    def manifest(self) -> Manifest:
        return {rel: Entry(md5, size, ctype, cc)
                for rel, md5, size, ctype, cc in self.db.execute("SELECT rel, md5, size, ctype, cc FROM files")}

    def journal_since(self, releases: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for name in releases:
            out.update(r[0] for r in self.db.execute("SELECT rel FROM journal WHERE release=?", (name,)))
        return out

    # -- writes ---------------------------------------------------------------------------
    def _set_retired(self, retired: Retired) -> None:
        self.db.execute("DELETE FROM retired")
        self.db.executemany("INSERT INTO retired VALUES (?, ?, ?, ?, ?, ?)",
                            [(rel, *e, since) for rel, (e, since) in retired.items()])

    def _finish(self, release: str, mid: str, journaled: set[str], live: Iterable[str]) -> None:
        keep = set(live) & (journaled | {release})
        marks = ",".join("?" * len(keep))
        self.db.execute(f"DELETE FROM journal WHERE release NOT IN ({marks})", sorted(keep))
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
            ("release", release), ("manifest_id", mid), ("journaled", "\n".join(sorted(keep)))])

    def replace(self, manifest: Manifest, retired: Retired, *, release: str, mid: str,
                releases: Iterable[str], changed: Iterable[str] | None = None) -> None:
        """After a publish that compared the whole site: the store describes ``release`` afresh.
        ``changed``: what ``release`` changed from the release the store described until now,
        which was its predecessor (the journals go on); None: the chain is broken, no journal."""
        journaled = self.journaled() | {release} if changed is not None else set()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM files")
        self.db.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?)", [(rel, *e) for rel, e in manifest.items()])
        self._set_retired(retired)
        if changed is not None:
            self.db.executemany("INSERT OR IGNORE INTO journal VALUES (?, ?)", [(release, rel) for rel in changed])
        self._finish(release, mid, journaled, releases)
        self.db.execute("COMMIT")

    def apply(self, upserts: Manifest, deletes: Iterable[str], retired: Retired, *, release: str, mid: str,
              changed: Iterable[str], releases: Iterable[str]) -> None:
        """After a publish from the change log: the changed rows, and ``changed`` as the journal of
        ``release``; only the releases still on disk keep their journal."""
        journaled = self.journaled() | {release}
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                            [(rel, *e) for rel, e in upserts.items()])
        self.db.executemany("DELETE FROM files WHERE rel=?", [(rel,) for rel in deletes])
        self._set_retired(retired)
        self.db.executemany("INSERT OR IGNORE INTO journal VALUES (?, ?)", [(release, rel) for rel in changed])
        self._finish(release, mid, journaled, releases)
        self.db.execute("COMMIT")
