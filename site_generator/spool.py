"""A temporary, append-only store of the input records, read back by id.

A full build must know every document's title and URL (a policy lists its interpretations,
which may come later in the input) before it renders pages, yet 200k records with their
bodies do not fit the memory budget. So the input is streamed once into this file while a
small index is kept; worker processes then read records back by offset (``os.pread``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import orjson


class Spool:
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"records-{os.getpid()}.jsonl"
        self._fh = open(self.path, "wb+")  # noqa: SIM115 - lives as long as the build
        self._end = 0
        # id -> (segment, offset, length); segment 0 is this file, the others files that render
        # processes wrote (``adopt``)
        self.offsets: dict[str, tuple[int, int, int]] = {}
        self._fds: list[int] = [self._fh.fileno()]
        self._segments: dict[str, int] = {}

    def put(self, record: dict) -> None:
        data = orjson.dumps(record)
        self._fh.write(data)
        self.offsets[str(record["id"])] = (0, self._end, len(data))
        self._end += len(data)

    def adopt(self, path: str, entries: list[tuple[str, int, int]]) -> None:
        """Records another process wrote to ``path`` (``(id, offset, length)`` each): read from
        there, never copied. The file is the spool's from now on (deleted by ``close``)."""
        seg = self._segments.get(path)
        if seg is None:
            seg = self._segments[path] = len(self._fds)
            self._fds.append(os.open(path, os.O_RDONLY))
        for doc_id, offset, length in entries:
            self.offsets[doc_id] = (seg, offset, length)

    def discard(self, doc_id: str) -> None:
        self.offsets.pop(doc_id, None)

    def flush(self) -> None:
        self._fh.flush()

    def get(self, doc_id: str) -> dict:
        seg, offset, length = self.offsets[doc_id]
        return orjson.loads(os.pread(self._fds[seg], length, offset))

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.offsets

    def __len__(self) -> int:
        return len(self.offsets)

    def ids(self) -> list[str]:
        return sorted(self.offsets)

    def __iter__(self) -> Iterator[dict]:
        self.flush()
        for doc_id in self.ids():
            yield self.get(doc_id)

    def fetch(self, ids) -> Iterator[dict]:
        self.flush()
        for doc_id in ids:
            if doc_id in self.offsets:
                yield self.get(doc_id)

    def close(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)
        for path, seg in self._segments.items():
            os.close(self._fds[seg])
            Path(path).unlink(missing_ok=True)
        self._segments.clear()
        del self._fds[1:]
        for leftover in self.path.parent.glob("part-*.jsonl"):  # a failed build's, never adopted
            leftover.unlink(missing_ok=True)


class SpoolRecords:
    """``ctx.records`` on a full build: iterable more than once, reads the spool."""

    def __init__(self, spool: Spool):
        self._spool = spool

    def __iter__(self) -> Iterator[dict]:
        return iter(self._spool)

    def __len__(self) -> int:
        return len(self._spool)
