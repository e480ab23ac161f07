"""Replacing a file whole or not at all: write a temporary name in the same directory, then rename.

Readers (a web server, another process, the next build) see the old file or the new one, never
a part; a crash leaves a hidden temporary name behind, never a half-written final one. The same
holds for a link: a symlink or a hard link is made under a temporary name and renamed over the
old one. Every tmp-and-rename in the project goes through here (docs/adr/0078). Plain Python (no
Django), so the record writer, the site generator, publish and the demo accounts all use it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600  # owner only (state and secrets)
_AS_OPEN = 0o666  # what open() asks for: the umask decides (usually 0o644)


def _temporary(path: Path, kind: str) -> Path:
    """A hidden name beside ``path``, unique to this process and thread (several threads may write)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.{kind}")


def _discard(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


@contextmanager
def atomic_file(path: str | os.PathLike, *, durable: bool = True, private: bool = False) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces ``path`` when the block ends without an error.

    ``durable``: fsync before the rename, so the new content survives a power cut once the call
    returns (skip it for caches and for files a later step rewrites anyway). ``private``: mode
    0o600 instead of what ``open()`` would create. The parent directory is created if missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path, "tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE if private else _AS_OPEN)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


def atomic_write(path: str | os.PathLike, data: bytes, *, durable: bool = True, private: bool = False) -> None:
    """Replace ``path`` with ``data`` (see ``atomic_file``)."""
    with atomic_file(path, durable=durable, private=private) as fh:
        fh.write(data)


def write_plain(path: str, data: bytes) -> None:
    """Create or truncate ``path`` and write ``data``, not atomically: for a file no reader sees
    before it is complete (a temporary name, a release not yet live). Plain os calls: ``open()``
    adds a buffer object and three system calls per file (an ioctl, an fstat, an lseek), which
    200,000 document pages pay (ADR 0164)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, _AS_OPEN)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def atomic_write_in(directory: str, name: str, data: bytes) -> None:
    """``atomic_write(directory/name, data, durable=False)`` for a directory that exists
    (FileNotFoundError when it does not): the file store's many small writes, in plain os calls
    (no pathlib, no mkdir per file)."""
    path = os.path.join(directory, name)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        write_plain(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


def replace_with_symlink(link: str | os.PathLike, target: str | os.PathLike) -> None:
    """Make ``link`` a symlink to ``target`` with one rename (a live site switches release at once)."""
    _link_then_rename(Path(link), lambda tmp: os.symlink(target, tmp))


def replace_with_hard_link(source: str | os.PathLike, path: str | os.PathLike) -> None:
    """Make ``path`` another name of ``source``'s file with one rename (no data copied)."""
    _link_then_rename(Path(path), lambda tmp: os.link(source, tmp))


def _link_then_rename(path: Path, make_link: Callable[[Path], None]) -> None:
    tmp = _temporary(path, "link")
    _discard(tmp)  # left by a killed process that had this pid and thread id
    make_link(tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise
