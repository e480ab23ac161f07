"""Which local paths changed since the last publish scan, as told by the site builds.

Walking a 24k-file tree only to find the 7 files a build rewrote costs about a second (and ten
at 200k). Every build reports its changed paths to the ``on_live`` plugin hook, which appends
them here (one small file per build, so concurrent writers never collide); the next publish
reads them as hints for ``scan_site`` and removes exactly the files it read once its hash cache
is saved. A full build, or anything unreadable, means "walk the whole tree next time".
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import orjson

from .manifest import atomic_write

FULL = "*"  # a change record that says: everything may have changed
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
        atomic_write(self.directory / name, orjson.dumps(data))

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
