"""The one writer of ``bench/RESULTS.md``: each benchmark owns a section that its last run replaces.

A benchmark prints its figures as it goes; through a :class:`Report` the same lines are also kept
and, at the end, written under the benchmark's heading with the date, the commit (``+`` when the
tree had uncommitted changes), the machine's load and the arguments, so a figure quoted in a
decision record can always be traced to the run that printed it. Sections of other benchmarks are
left as they are; concurrent runs are serialised by a lock on the file.
"""

from __future__ import annotations

import fcntl
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("GOVSITE_BENCH_RESULTS", ROOT / "bench" / "RESULTS.md"))
HEADER = """# Benchmark results

Written by the scripts in `bench/` (through `bench/results.py`): each section is the last run of
one benchmark, with its date, commit, machine load and arguments. Do not edit by hand; run the
benchmark again. Decision records in `docs/adr/` quote these figures.
"""


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+" if dirty else "")


def _sections(text: str) -> dict[str, str]:
    """``## title`` → body, in file order (the header before the first section is dropped)."""
    out: dict[str, str] = {}
    title = None
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            title = line[3:].strip()
            out[title] = ""
        elif title is not None:
            out[title] += line
    return out


class Report:
    """Print a benchmark's lines and keep them for its ``RESULTS.md`` section."""

    def __init__(self, title: str, argv: list[str] | None = None) -> None:
        self.title = title
        self.argv = sys.argv[1:] if argv is None else argv
        self.lines: list[str] = []
        self.started = time.time()
        self.load_at_start = os.getloadavg()

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def save(self) -> Path:
        """Replace this benchmark's section of RESULTS.md (atomically; other sections are kept)."""
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        load = os.getloadavg()
        meta = (f"_{when}, commit {_commit()}, {os.cpu_count()} CPUs ({platform.machine()}), "
                f"load {self.load_at_start[0]:.1f} at start / {load[0]:.1f} at end, "
                f"{time.time() - self.started:.0f} s; arguments: `{' '.join(self.argv) or '(defaults)'}`_")
        body = "\n" + meta + "\n\n```\n" + "\n".join(self.lines).rstrip() + "\n```\n\n"
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with open(RESULTS.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            sections = _sections(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
            sections[self.title] = body
            text = HEADER + "".join(f"\n## {title}\n{sections[title]}".rstrip("\n") + "\n"
                                    for title in sorted(sections))
            tmp = RESULTS.with_name(f".{RESULTS.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, RESULTS)
        print(f"(written to {RESULTS.relative_to(ROOT) if RESULTS.is_relative_to(ROOT) else RESULTS}, "
              f"section “{self.title}”)", flush=True)
        return RESULTS


def session_priority(pid: int, nice: int | None = None) -> int | None:
    """Give ``pid``'s session the process's own nice value. With the kernel's autogroup scheduling
    (``/proc/sys/kernel/sched_autogroup_enabled`` = 1) nice ranks processes only within one
    session, and sessions share the CPU equally: a benchmark under ``nice -n -10`` got 17 % of the
    CPU against other sessions' ``nice 19`` tests. A server a benchmark starts in its own session
    needs this call too. Without autogroups, or without the right to raise priority, nothing changes.
    Returns the session's previous value (to give back with ``nice=``), or None."""
    path = Path(f"/proc/{pid}/autogroup")
    try:
        before = int(path.read_text().split("nice")[-1])
        path.write_text(str(os.getpriority(os.PRIO_PROCESS, pid) if nice is None else nice))
    except (OSError, ValueError):
        return None
    return before


class _Tee:
    """sys.stdout that also keeps what is written (the benchmark's own prints)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.kept: list[str] = []

    def write(self, text: str) -> int:
        self.kept.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


class recording:  # noqa: N801 - used as ``with recording(...)``, like contextlib's helpers
    """Run a benchmark's ``main()`` inside this: what it prints also becomes its RESULTS.md section,
    written only when it finishes without an error (a failed run never replaces good figures)."""

    def __init__(self, title: str) -> None:
        self.report = Report(title)

    def __enter__(self) -> Report:
        # the benchmark and the children in its session, until it ends
        self.session_nice = session_priority(os.getpid())
        self.tee = _Tee(sys.stdout)
        sys.stdout = self.tee
        return self.report

    def __exit__(self, exc_type, exc, tb) -> None:
        sys.stdout = self.tee.stream
        if self.session_nice is not None:
            session_priority(os.getpid(), nice=self.session_nice)
        # a SystemExit, even 0, is not a finished run: ``--help`` exits 0 and printed no figures
        if exc_type is None:
            self.report.lines = "".join(self.tee.kept).splitlines() + self.report.lines
            self.report.save()
