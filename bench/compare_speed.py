"""Import and full-build speed of two revisions, measured in the same run, rounds interleaved.

    .venv/bin/python bench/compare_speed.py 48b25ea             # 48b25ea against the working tree
    .venv/bin/python bench/compare_speed.py 48b25ea HEAD --docs 20000 --rounds 3
    .venv/bin/python bench/compare_speed.py 48b25ea --corpus /path/corpus.jsonl

A change that only moves code (issue 12) must not slow the paths users take: ``govsite
import_documents`` into a fresh SQLite database and ``govsite build_site --full --from-jsonl`` with
the settings' build plugins (search index included). Each revision runs its own code, checked out
as ``bench/compare_builds.py`` does. Rounds alternate base, other, base, other … so a machine whose
load changes during the run affects both alike; the figures are the medians of the rounds, in wall
seconds and in CPU seconds (user + system of the child and its pool, from ``wait4``), which load
distorts less than wall time. The ratio other/base is what to read: 1.05 is 5% slower.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compare_builds import CLI, WORKTREE, WRITE_SAMPLE, checkout, env_for, run
from results import ROOT, Report


def measured(cmd: list[str], *, cwd: Path, env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of a child (its pool's children included: they are reaped by it)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        before = os.times()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            log.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd[3:])}\n{log.read()[-3000:]}")
    after = os.times()
    # wait4 gives the child's own usage; its reaped children (the build's fork pool) are added to
    # the child's children counters, which show up in ours once the child is reaped.
    pool = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, max(usage.ru_utime + usage.ru_stime, pool)


def one_round(src: Path, corpus: Path, work: Path) -> dict[str, tuple[float, float]]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = env_for(src, work / "data")
    cli = [sys.executable, "-c", CLI]
    run([*cli, "migrate", "-v0"], cwd=src, env=env)
    figures = {"import": measured([*cli, "import_documents", str(corpus), "--quiet"], cwd=src, env=env)}
    figures["build"] = measured([*cli, "build_site", "--full", "--from-jsonl", str(corpus),
                                 "--out", str(work / "site")], cwd=src, env=env)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", nargs="?", default="HEAD")
    parser.add_argument("other", nargs="?", default=WORKTREE)
    parser.add_argument("--docs", type=int, default=20000, help="size of the generated sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=os.environ.get("GOVSITE_BENCH_CORPUS"),
                        help="a JSONL corpus instead of the generated sample (env GOVSITE_BENCH_CORPUS)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    report = Report("compare_speed: import and full build, two revisions", argv)
    tmp = Path(tempfile.mkdtemp(prefix="compare-speed-"))
    sources: dict[str, Path] = {}
    try:
        for label, rev in (("base", args.base), ("other", args.other)):
            sources[label] = checkout(rev, tmp)
        corpus = args.corpus
        if corpus is None:
            corpus = tmp / "sample.jsonl"
            count = run([sys.executable, "-c", WRITE_SAMPLE, str(corpus), str(args.docs), str(args.seed)],
                        cwd=sources["other"], env=env_for(sources["other"], tmp / "sample-data")).strip()
            report(f"corpus: {count} generated documents (docs={args.docs}, seed={args.seed})")
        else:
            report(f"corpus: {corpus}")
        report(f"base = {args.base}, other = {args.other}, {args.rounds} rounds interleaved")
        # A first build in a fresh process tree pays one-time costs (dictionaries, compiled
        # templates, the OS page cache): warm both revisions on a small head of the corpus first.
        head = tmp / "warmup.jsonl"
        with open(corpus, encoding="utf-8") as src, open(head, "w", encoding="utf-8") as out:
            for _, line in zip(range(200), src, strict=False):
                out.write(line)
        for label in ("base", "other"):
            one_round(sources[label], head, tmp / label)
        got: dict[str, dict[str, list[tuple[float, float]]]] = {"base": {}, "other": {}}
        for n in range(args.rounds):
            for label in ("base", "other"):
                figures = one_round(sources[label], corpus, tmp / label)
                for step, value in figures.items():
                    got[label].setdefault(step, []).append(value)
                report(f"round {n + 1} {label:5s}: " + ", ".join(
                    f"{step} {w:.1f} s wall / {c:.1f} s CPU" for step, (w, c) in figures.items())
                    + f" (load {os.getloadavg()[0]:.1f})")
        for step in ("import", "build"):
            med = {label: (statistics.median(w for w, _ in got[label][step]),
                           statistics.median(c for _, c in got[label][step])) for label in got}
            report(f"{step:6s} median: base {med['base'][0]:.1f} s / {med['base'][1]:.1f} s CPU, "
                   f"other {med['other'][0]:.1f} s / {med['other'][1]:.1f} s CPU; ratio other/base "
                   f"wall {med['other'][0] / med['base'][0]:.3f}, CPU {med['other'][1] / med['base'][1]:.3f}")
        report.save()
        return 0
    finally:
        for src in sources.values():
            if src != ROOT:
                subprocess.run(["git", "worktree", "remove", "--force", str(src)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
