"""Which local paths changed since the last publish, as told by the site builds.

Walking a 26k-file tree only to find the dozen files a build rewrote costs about a second (ten
at 200k). Every build reports its changed paths to the ``on_live`` plugin hook, which appends
them here (one small file per build, so concurrent writers never collide). The next publish
takes the target's manifest as the state of the tree at the last publish and re-reads only the
directories those paths are in -- provided the chain is unbroken: the manifest on the target is
the very one our last publish wrote (its id is recorded here), and the tree was walked in full
within a day. Each successful publish removes exactly the change files it read. A full build,
or anything unreadable, means "walk the whole tree next time".
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import orjson

from content_models.atomic import atomic_write

FULL = "*"  # a change record that says: everything may have changed
PUBLISHED = ".published.json"  # target, manifest id and last full walk of the last publish
WALK_EVERY_SECONDS = 24 * 3600
MAX_RECORDS = 200  # builds without a publish in between; beyond that the next publish walks


class ChangeLog:
    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def record(self, paths: Iterable[str] | None) -> None:
        """Remember the paths one build changed; ``None`` after a full build."""
        data = [FULL] if paths is None else sorted(set(paths))
        self._write(data)
        files, _paths = self.snapshot()
        if len(files) > MAX_RECORDS:  # nobody publishes: one "walk everything" record replaces them
            self._write([FULL])
            self.consume(files)

    def _write(self, data: list[str]) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}.json"
        atomic_write(self.directory / name, orjson.dumps(data), private=True)

    def snapshot(self) -> tuple[list[Path], set[str] | None]:
        """The change files present now and the union of their paths (``None``: walk everything)."""
        try:
            files = sorted(
                p for p in self.directory.iterdir() if p.suffix == ".json" and not p.name.startswith(".")
            )
        except FileNotFoundError:
            return [], set()
        paths: set[str] | None = set()
        for f in files:
            try:
                items = orjson.loads(f.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                items = [FULL]
            if FULL in items:
                paths = None
            elif paths is not None:
                paths.update(items)
        return files, paths

    @staticmethod
    def consume(files: list[Path]) -> None:
        for f in files:
            f.unlink(missing_ok=True)

    def mark_published(self, target: str, manifest_id: str | None, *, walked: bool) -> None:
        last = self.last_published() or {}
        walked_at = time.time() if walked else float(last.get("walked_at", 0.0))
        doc = {"target": target, "manifest_id": manifest_id, "walked_at": walked_at}
        atomic_write(self.directory / PUBLISHED, orjson.dumps(doc), private=True)

    def last_published(self) -> dict | None:
        try:
            return orjson.loads((self.directory / PUBLISHED).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None

    def can_trust(self, target: str, manifest_id: str | None) -> bool:
        """True when ``manifest_id`` on ``target`` is the manifest our last publish wrote and
        the tree was walked in full recently: the log then holds every change since."""
        last = self.last_published()
        return bool(
            last
            and manifest_id
            and last.get("target") == target
            and last.get("manifest_id") == manifest_id
            and time.time() - float(last.get("walked_at", 0.0)) < WALK_EVERY_SECONDS
        )
