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
        self.offsets: dict[str, tuple[int, int]] = {}

    def put(self, record: dict) -> None:
        data = orjson.dumps(record)
        self._fh.write(data)
        self.offsets[str(record["id"])] = (self._end, len(data))
        self._end += len(data)

    def discard(self, doc_id: str) -> None:
        self.offsets.pop(doc_id, None)

    def flush(self) -> None:
        self._fh.flush()

    def get(self, doc_id: str) -> dict:
        offset, length = self.offsets[doc_id]
        return orjson.loads(os.pread(self._fh.fileno(), length, offset))

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


class SpoolRecords:
    """``ctx.records`` on a full build: iterable more than once, reads the spool."""

    def __init__(self, spool: Spool):
        self._spool = spool

    def __iter__(self) -> Iterator[dict]:
        return iter(self._spool)

    def __len__(self) -> int:
        return len(self._spool)
