"""The build state: a small SQLite database that lets an incremental build touch only what changed.

It holds, per live document, what other outputs need from it (URL, list entry HTML, feed item,
sitemap date, relations), each list's members in (published, id) order and where each of its
archived pages ends (``list_pages``, docs/adr/0143); and the version of every contributed page (``site_generator.pages``), by page set. Every incremental
query is by key or by a short index range, so a one-document build reads a few rows at 200k.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, ts INTEGER NOT NULL, url TEXT NOT NULL,
    title TEXT NOT NULL, date TEXT NOT NULL, lists TEXT NOT NULL, entry TEXT NOT NULL,
    feed BLOB NOT NULL, lastmod TEXT NOT NULL, interprets TEXT, replaced_by TEXT, rhash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS list_items (
    list_key TEXT NOT NULL, ts INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (list_key, ts, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lists (key TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS list_pages (
    list_key TEXT NOT NULL, ts INTEGER NOT NULL, id TEXT NOT NULL, page INTEGER NOT NULL,
    PRIMARY KEY (list_key, ts, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sitemap_parts (name TEXT PRIMARY KEY, lastmod TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (path TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS doc_files (id TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (id, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pages (
    page_set TEXT NOT NULL, path TEXT NOT NULL, version TEXT NOT NULL, PRIMARY KEY (page_set, path)
) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS docs_interprets ON docs(interprets) WHERE interprets IS NOT NULL;
CREATE INDEX IF NOT EXISTS doc_files_path ON doc_files(path);
CREATE INDEX IF NOT EXISTS docs_replaced_by ON docs(replaced_by) WHERE replaced_by IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS list_pages_page ON list_pages(list_key, page);
"""
DOC_COLUMNS = ("id", "site", "ts", "url", "title", "date", "lists", "entry", "feed", "lastmod",
               "interprets", "replaced_by", "rhash")


class State:
    def __init__(self, path: Path, *, readonly: bool = False, fresh: bool = False):
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL" if not fresh else "PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=NORMAL" if not fresh else "PRAGMA synchronous=OFF")
            self.db.executescript(SCHEMA)
            if not fresh:
                self.db.executescript(INDEXES)

    def close(self) -> None:
        self.db.close()

    # -- transactions -------------------------------------------------------------------
    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def finish_fresh(self) -> None:
        """After a bulk load: build the secondary indexes and switch to WAL for later builds."""
        self.commit()
        self.db.executescript(INDEXES)
        self.db.execute("PRAGMA journal_mode=WAL")

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- documents ----------------------------------------------------------------------
    def get_docs(self, ids: Iterable[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT {', '.join(DOC_COLUMNS)} FROM docs WHERE id IN ({','.join('?' * len(chunk))})"
            for row in self.db.execute(q, chunk):
                out[row[0]] = dict(zip(DOC_COLUMNS, row, strict=True))
        return out

    def all_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, rhash FROM docs"))

    def put_docs(self, rows: list[dict]) -> None:
        self.db.executemany(
            f"INSERT OR REPLACE INTO docs({', '.join(DOC_COLUMNS)}) VALUES ({','.join('?' * len(DOC_COLUMNS))})",
            [tuple(r[c] for c in DOC_COLUMNS) for r in rows],
        )
        items = [(key, r["ts"], r["id"]) for r in rows for key in orjson.loads(r["lists"])]
        self.db.executemany("INSERT OR REPLACE INTO list_items(list_key, ts, id) VALUES (?, ?, ?)", items)

    def delete_doc(self, row: dict) -> None:
        self.db.execute("DELETE FROM docs WHERE id=?", (row["id"],))
        self.db.executemany(
            "DELETE FROM list_items WHERE list_key=? AND ts=? AND id=?",
            [(key, row["ts"], row["id"]) for key in orjson.loads(row["lists"])],
        )

    # -- attachment files (files/<hash>/<name>, shared by every document that attaches the bytes) --
    def put_files(self, rows: list[dict], *, replace: bool = True) -> None:
        """Record the attachment paths of documents (``row["files"]``); ``replace`` drops their old ones."""
        if replace:
            self.db.executemany("DELETE FROM doc_files WHERE id=?", [(r["id"],) for r in rows])
        self.db.executemany("INSERT OR IGNORE INTO doc_files(id, path) VALUES (?, ?)",
                            [(r["id"], p) for r in rows for p in r.get("files") or ()])

    def delete_files(self, ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM doc_files WHERE id=?", [(i,) for i in ids])

    def files_of(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        out: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT path FROM doc_files WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(r[0] for r in self.db.execute(q, chunk))
        return out

    def unreferenced(self, paths: Iterable[str]) -> set[str]:
        """The paths no live document attaches any more (their file leaves the site)."""
        return {p for p in paths if self.db.execute("SELECT 1 FROM doc_files WHERE path=? LIMIT 1", (p,)).fetchone()
                is None}

    def referencing(self, doc_id: str) -> set[str]:
        """Live documents whose page shows ``doc_id`` (its interpretations, documents it replaced)."""
        rows = self.db.execute(
            "SELECT id FROM docs WHERE interprets=? UNION SELECT id FROM docs WHERE replaced_by=?", (doc_id, doc_id)
        )
        return {r[0] for r in rows}

    def interpretations(self, policy_id: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT id, title, url, date FROM docs WHERE interprets=? ORDER BY ts, id", (policy_id,)
        )
        return [{"id": r[0], "title": r[1], "url": r[2], "date": r[3]} for r in rows]

    def link_of(self, doc_id: str | None) -> dict | None:
        if not doc_id:
            return None
        row = self.db.execute("SELECT title, url FROM docs WHERE id=?", (doc_id,)).fetchone()
        return {"title": row[0], "url": row[1]} if row else None

    # -- lists --------------------------------------------------------------------------
    def recount_all(self) -> None:
        self.db.execute("DELETE FROM lists")
        self.db.execute("INSERT INTO lists(key, count) SELECT list_key, count(*) FROM list_items GROUP BY list_key")

    def count(self, key: str) -> int:
        row = self.db.execute("SELECT count FROM lists WHERE key=?", (key,)).fetchone()
        return row[0] if row else 0

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT key, count FROM lists"))

    def tail(self, key: str, n: int) -> list[str]:
        """The ids of the newest ``n`` items of a list, oldest first."""
        rows = self.db.execute(
            "SELECT id FROM list_items WHERE list_key=? ORDER BY ts DESC, id DESC LIMIT ?", (key, n)
        ).fetchall()
        return [r[0] for r in reversed(rows)]

    # -- archived list pages (docs/adr/0143) --------------------------------------------
    # A list's archived page p holds the items whose key (ts, id) lies after the end of page p - 1
    # and up to its own end, the key of its last item when it was sealed. Ends never move until a
    # full build: a withdrawal leaves its page shorter, a back-dated item makes its page longer,
    # and no other page changes. Items after the last end are the open tail (the index page).
    def seal_all(self, page_size: int) -> None:
        """A full build: every list cut into pages of ``page_size`` from its oldest item."""
        self.db.execute("DELETE FROM list_pages")
        self.db.execute("DELETE FROM meta WHERE key='seals_due'")
        self.db.execute(
            "INSERT INTO list_pages(list_key, ts, id, page) SELECT list_key, ts, id, rn / ? FROM ("
            " SELECT list_key, ts, id, row_number() OVER (PARTITION BY list_key ORDER BY ts, id) AS rn"
            " FROM list_items) WHERE rn % ? = 0",
            (page_size, page_size),
        )

    def page_count(self, key: str) -> int:
        """The number of archived pages of a list."""
        row = self.db.execute("SELECT max(page) FROM list_pages WHERE list_key=?", (key,)).fetchone()
        return row[0] or 0

    def page_of(self, key: str, ts: int, doc_id: str) -> int | None:
        """The archived page an item key falls in, or None for the open tail."""
        row = self.db.execute(
            "SELECT page FROM list_pages WHERE list_key=? AND (ts, id) >= (?, ?) ORDER BY ts, id LIMIT 1",
            (key, ts, doc_id),
        ).fetchone()
        return row[0] if row else None

    def page_entries(self, key: str, first: int, last: int) -> dict[int, list[str]]:
        """The list entries (``docs.entry``) on archived pages ``first``..``last`` of a list, oldest
        first: one range read, joined to the documents in SQLite. Reading the ids, then their
        entries by id in chunks of 500 bound parameters, took 9.0 CPU-s for all list pages of a
        200,000-document site against 6.2 (ADR 0164)."""
        ends = self.db.execute(
            "SELECT page, ts, id FROM list_pages WHERE list_key=? AND page BETWEEN ? AND ? ORDER BY page",
            (key, first - 1, last),
        ).fetchall()
        lower = ends[0][1:] if ends and ends[0][0] == first - 1 else None
        ends = [e for e in ends if e[0] >= first]
        out: dict[int, list[str]] = {p: [] for p, _ts, _id in ends}
        if not ends:
            return out
        # LEFT JOIN keeps list_items outside (its key range first, then each document by key) and
        # shows an item without its document, which the state never holds, as an error
        q = ("SELECT li.ts, li.id, d.entry FROM list_items AS li LEFT JOIN docs AS d ON d.id = li.id"
             " WHERE li.list_key=? AND (li.ts, li.id) <= (?, ?)")
        args: list = [key, ends[-1][1], ends[-1][2]]
        if lower is not None:
            q += " AND (li.ts, li.id) > (?, ?)"
            args += list(lower)
        i = 0
        for ts, doc_id, entry in self.db.execute(q + " ORDER BY li.ts, li.id", args):
            if entry is None:
                raise KeyError(f"list {key!r} holds {doc_id!r}, which the build state has no row for")
            while (ts, doc_id) > (ends[i][1], ends[i][2]):
                i += 1
            out[ends[i][0]].append(entry)
        return out

    def seal_open(self, key: str, page_size: int) -> list[int]:
        """Seal full pages off the open tail (after publishing): the numbers of the new pages."""
        last = self.db.execute(
            "SELECT page, ts, id FROM list_pages WHERE list_key=? ORDER BY page DESC LIMIT 1", (key,)
        ).fetchone()
        q = "SELECT ts, id FROM list_items WHERE list_key=?"
        args: list = [key]
        if last is not None:
            q += " AND (ts, id) > (?, ?)"
            args += [last[1], last[2]]
        tail = self.db.execute(q + " ORDER BY ts, id", args).fetchall()
        page = last[0] if last else 0
        new = []
        for end in range(page_size - 1, len(tail), page_size):
            page += 1
            self.db.execute("INSERT INTO list_pages(list_key, ts, id, page) VALUES (?, ?, ?, ?)",
                            (key, tail[end][0], tail[end][1], page))
            new.append(page)
        return new

    def open_count(self, key: str) -> int:
        """How many items of a list are after its last archived page (what its index page shows, at
        least a page's worth)."""
        last = self.db.execute(
            "SELECT ts, id FROM list_pages WHERE list_key=? ORDER BY page DESC LIMIT 1", (key,)
        ).fetchone()
        q = "SELECT count(*) FROM list_items WHERE list_key=?"
        args: list = [key]
        if last is not None:
            q += " AND (ts, id) > (?, ?)"
            args += [last[0], last[1]]
        return self.db.execute(q, args).fetchone()[0]

    def seals_due(self) -> set[str]:
        """Lists whose open tail holds a page's worth that an editor's build left unsealed (ADR 0161)."""
        return set(orjson.loads(self.get_meta("seals_due") or "[]"))

    def set_seals_due(self, keys: Iterable[str]) -> None:
        self.set_meta("seals_due", orjson.dumps(sorted(keys)).decode())

    def drop_pages(self, key: str) -> None:
        self.db.execute("DELETE FROM list_pages WHERE list_key=?", (key,))

    def slice(self, key: str, start: int, stop: int) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM list_items WHERE list_key=? ORDER BY ts, id LIMIT ? OFFSET ?", (key, stop - start, start)
        )
        return [r[0] for r in rows]

    def entries(self, ids: list[str], column: str = "entry") -> list:
        """Column values for ids, in the order given."""
        got: dict[str, object] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT id, {column} FROM docs WHERE id IN ({','.join('?' * len(chunk))})"
            got.update(self.db.execute(q, chunk))
        return [got[i] for i in ids]

    # -- sitemaps and pending paths -----------------------------------------------------
    def set_sitemap_part(self, name: str, lastmod: str | None) -> None:
        if lastmod is None:
            self.db.execute("DELETE FROM sitemap_parts WHERE name=?", (name,))
        else:
            self.db.execute("INSERT OR REPLACE INTO sitemap_parts(name, lastmod) VALUES (?, ?)", (name, lastmod))

    def sitemap_parts(self) -> list[tuple[str, str]]:
        return list(self.db.execute("SELECT name, lastmod FROM sitemap_parts ORDER BY name"))

    def pending_paths(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT path FROM pending ORDER BY path")]

    def set_pending(self, paths: Iterable[str]) -> None:
        self.db.execute("DELETE FROM pending")
        self.db.executemany("INSERT OR IGNORE INTO pending(path) VALUES (?)", [(p,) for p in paths])

    # -- contributed pages (site_generator.pages) -----------------------------------------
    def page_versions(self, page_set: str) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, version FROM pages WHERE page_set=?", (page_set,)))

    def update_pages(self, upsert: Iterable[tuple[str, str, str]], drop: Iterable[tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO pages(page_set, path, version) VALUES (?, ?, ?)", list(upsert))
        self.db.executemany("DELETE FROM pages WHERE page_set=? AND path=?", list(drop))
