"""Where builds are written, and how a new build goes live atomically.

``<out>`` is a symlink to one of two release directories, ``<state>/releases/a`` and ``.../b``.
A build writes into the one that is not live, then swaps the symlink with one ``rename``:
readers see the old site or the new one, never a mix. Files shared by the two releases are hard
links; a build never writes into an existing file (temp file + rename), so the live release is
never touched. The release that is not live lags behind by exactly the paths the last build
changed (kept in the state DB): the next build copies those over first (hard links, a few files)
instead of cloning the whole tree.

A full build writes a fresh release; the other one must then become its copy. Rather than walk
the new tree afterwards (``cp -al`` of 360,000 files took 10-12 s at 200,000 documents), every
file a full build writes is also hard-linked, as it is written and by the process that writes it,
into a third directory (``Writer(mirror=...)``, ``Releases.start_mirror``), which takes the other
release's place once the new one is live (``Releases.adopt_mirror``).

Releases that are replaced go to ``<state>/trash`` (a rename) and are deleted by a detached,
lowest-priority process: the site is live by then, and deleting the 360,000 files of an old
release at 200,000 documents took a full build 20-140 s that the build queue waited for.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from content_models.atomic import (
    atomic_file,
    atomic_write,
    replace_with_hard_link,
    replace_with_symlink,
    write_plain,
)

BUFFERS = ("a", "b")
MIRROR = "mirror"  # a full build's copy of its release in the making (never live)


# The trash deleter (``Releases.purge_trash``): under the output's trash lock, delete until empty.
_DELETER = """
import fcntl, os, shutil, subprocess, sys
trash, lock = sys.argv[1], sys.argv[2]
rm = shutil.which("rm")
try:  # its own session is its own autogroup, where nice alone does not lower its share (ADR 0093)
    with open("/proc/self/autogroup", "w") as fh:
        fh.write("19")
except OSError:
    pass
with open(lock, "a") as fh:
    fcntl.flock(fh, fcntl.LOCK_EX)
    seen = None
    while (names := sorted(os.listdir(trash))) and names != seen:  # stop when nothing more goes
        seen, entries = names, [os.path.join(trash, name) for name in names]
        if rm:
            subprocess.run([rm, "-rf", "--", *entries], check=False)
        else:
            for entry in entries:
                shutil.rmtree(entry, ignore_errors=True)
"""


class BuildLocked(RuntimeError):
    pass


@contextmanager
def build_lock(state_dir: Path, *, wait: bool = True):
    """One build at a time per output (an flock, released if the process dies)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / "build.lock", "w") as fh:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fh, flags)
        except BlockingIOError:
            raise BuildLocked("另一个站点生成任务正在进行") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Releases:
    def __init__(self, out_dir: Path, state_dir: Path):
        self.out = out_dir
        self.root = state_dir / "releases"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.root / name

    def live(self) -> str | None:
        """The live buffer's name, or None when ``out`` is not (yet) our symlink."""
        if not self.out.is_symlink():
            return None
        target = Path(os.readlink(self.out))
        if not target.is_absolute():
            target = self.out.parent / target
        if target.parent.resolve() == self.root.resolve() and target.name in BUFFERS:
            return target.name
        return None

    def other(self, name: str | None) -> str:
        return "b" if name == "a" else "a"

    def dirty_marker(self, name: str) -> Path:
        return self.root / f"{name}.dirty"

    def switch(self, name: str) -> None:
        """Make release ``name`` live with one atomic rename of a symlink."""
        self.out.parent.mkdir(parents=True, exist_ok=True)
        if self.out.exists() and not self.out.is_symlink():
            # First build into a directory that was a plain folder: keep it aside, never delete it.
            aside = self.root / f"previous-{int(time.time())}"
            os.rename(self.out, aside)
        replace_with_symlink(self.out, self.path(name).resolve())

    @property
    def trash(self) -> Path:
        """Where replaced releases wait for deletion (beside ``releases``: the same file system)."""
        return self.root.parent / "trash"

    def _to_trash(self, name: str) -> None:
        path = self.path(name)
        if path.exists():
            self.trash.mkdir(exist_ok=True)
            os.rename(path, self.trash / f"{name}-{os.getpid()}-{time.monotonic_ns()}")

    def clear(self, name: str) -> None:
        """Start an empty release; the old files go to the trash (deleted by purge_trash)."""
        self._to_trash(name)
        self.path(name).mkdir(parents=True)

    _deleters: list[subprocess.Popen] = []  # reaped at the next purge (no zombie in the queue worker)

    def purge_trash(self) -> subprocess.Popen | None:
        """Delete the trash in a detached process at the lowest CPU and I/O priority, and return it
        (None: nothing to delete). Nothing reads the trash, so the build does not wait; a deletion
        cut short (the machine stops) is finished by the next purge. One deleter at a time per
        output (an flock): a later one waits, then deletes what came since, so back-to-back full
        builds cannot start deleters that walk the same trees."""
        Releases._deleters = [d for d in Releases._deleters if d.poll() is None]
        for legacy in self.root.glob("trash-*"):  # where earlier versions left their trash
            self.trash.mkdir(exist_ok=True)
            os.rename(legacy, self.trash / legacy.name)
        if not self.trash.is_dir() or not any(self.trash.iterdir()):
            return None
        command = [sys.executable, "-c", _DELETER, str(self.trash), str(self.root.parent / "trash.lock")]
        # priorities by wrapper commands, not preexec_fn (unsafe in the threaded queue worker); the
        # best-effort I/O class at its lowest level, not idle: idle gets no disk time while builds write
        for wrapper, args in (("ionice", ["-c2", "-n7"]), ("nice", ["-n", "19"])):
            if path := shutil.which(wrapper):
                command = [path, *args, *command]
        deleter = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        Releases._deleters.append(deleter)
        return deleter

    def clone(self, src: str, dst: str) -> None:
        """Make ``dst`` an exact copy of ``src`` made of hard links (cheap: no file data copied)."""
        dst_path = self.path(dst)
        self._to_trash(dst)
        if shutil.which("cp"):
            subprocess.run(["cp", "-al", str(self.path(src)), str(dst_path)], check=True)
        else:  # pragma: no cover - non-GNU systems
            shutil.copytree(self.path(src), dst_path, copy_function=os.link)
        self.purge_trash()

    def start_mirror(self) -> Path:
        """An empty directory for a full build's ``Writer(mirror=...)`` links (an old one goes to the trash)."""
        self._to_trash(MIRROR)
        path = self.path(MIRROR)
        path.mkdir(parents=True)
        return path

    def adopt_mirror(self, dst: str) -> None:
        """Make the mirror release ``dst`` (not live): a copy of the release it mirrored, as ``clone`` makes."""
        self._to_trash(dst)
        os.rename(self.path(MIRROR), self.path(dst))
        self.purge_trash()

    def sync_paths(self, src: str, dst: str, paths: list[str]) -> None:
        """Bring ``dst`` up to ``src`` for the given relative paths (link or delete)."""
        s, d = self.path(src), self.path(dst)
        for rel in paths:
            source, target = s / rel, d / rel
            if source.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                replace_with_hard_link(source, target)
            elif target.exists():
                target.unlink()
                _prune_empty_dirs(target.parent, d)


def _prune_empty_dirs(path: Path, stop: Path) -> None:
    while path != stop and path.is_dir():
        try:
            path.rmdir()
        except OSError:
            return
        path = path.parent


class Writer:
    """Writes outputs into the release being built and records what changed.

    In a fresh release (full build) files are written directly; with ``mirror`` each is also
    hard-linked there as it is written (the module docstring), and deleted there too. In a release
    that shares files with the live one, a file is replaced through a temp file + rename, and only
    when its bytes differ, so unchanged outputs are neither rewritten nor reported as changed.
    """

    def __init__(self, root: Path, *, fresh: bool, mirror: Path | None = None):
        if mirror is not None and not fresh:
            raise ValueError("only a fresh release is mirrored")
        self.root = root
        self.fresh = fresh
        self.mirror = mirror
        self._mirror_dirs: set[str] = set()
        self.changed: set[str] = set()
        self.files = 0
        self.bytes = 0
        self._dirs: set[str] = set()
        # Plugins may write from several threads (the search index does its file IO in a pool);
        # the IO runs unlocked, the bookkeeping under this lock.
        self._lock = threading.Lock()

    def _mkdir(self, parent: str) -> None:
        if parent not in self._dirs:
            os.makedirs(os.path.join(self.root, parent), exist_ok=True)
            self._dirs.add(parent)

    def write(self, rel: str, data: bytes) -> None:
        rel = rel.lstrip("/")
        if not rel or ".." in rel.split("/"):
            raise ValueError(f"输出路径无效：{rel!r}")
        parent = os.path.dirname(rel)
        self._mkdir(parent)
        path = os.path.join(self.root, rel)
        if self.fresh:
            write_plain(path, data)  # a path written twice keeps its inode: the mirror's link follows
            if self.mirror is not None:
                self._mirror_link(rel, path)
        else:
            try:
                with open(path, "rb") as fh:
                    if fh.read() == data:
                        return
            except FileNotFoundError:
                pass
            atomic_write(path, data, durable=False)  # a crash before the switch leaves the live site as it was
        with self._lock:
            self.changed.add(rel)
            self.files += 1
            self.bytes += len(data)

    def link(self, rel: str, source: Path) -> bool:
        """Place ``source`` (a stored attachment) at ``rel`` without reading it; False when it is missing.

        A hard link when the store shares the release's file system, else a copy. Content-named
        paths never change meaning, so a path already present is left as it is (not reported).
        """
        rel = rel.lstrip("/")
        if not rel or ".." in rel.split("/"):
            raise ValueError(f"输出路径无效：{rel!r}")
        path = os.path.join(self.root, rel)
        if os.path.exists(path):
            return True
        self._mkdir(os.path.dirname(rel))
        try:
            os.link(source, path)
        except FileNotFoundError:
            return False
        except FileExistsError:  # another render process placed the same file
            return True
        except OSError:  # another file system (EXDEV) or no hard links: copy, through a temporary name
            try:
                with open(source, "rb") as src, atomic_file(path, durable=False) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except FileNotFoundError:
                return False
        if self.mirror is not None:
            self._mirror_link(rel, path)
        with self._lock:
            self.changed.add(rel)
            self.files += 1
        return True

    def _mirror_link(self, rel: str, path: str) -> None:
        parent = os.path.dirname(rel)
        if parent not in self._mirror_dirs:
            os.makedirs(os.path.join(self.mirror, parent), exist_ok=True)
            self._mirror_dirs.add(parent)
        try:
            os.link(path, os.path.join(self.mirror, rel))
        except FileExistsError:  # linked by the process that wrote it first: the same file
            pass

    def delete(self, rel: str) -> None:
        rel = rel.lstrip("/")
        path = self.root / rel
        if path.exists():
            path.unlink()
            with self._lock:
                self.changed.add(rel)
            _prune_empty_dirs(path.parent, self.root)
            self._dirs.clear()  # a directory made before may be gone with it
        if self.mirror is not None:
            mirrored = self.mirror / rel
            if mirrored.exists():
                mirrored.unlink()
                _prune_empty_dirs(mirrored.parent, self.mirror)
                self._mirror_dirs.clear()

    def exists(self, rel: str) -> bool:
        return (self.root / rel.lstrip("/")).exists()
