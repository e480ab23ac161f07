"""``govsite inspect`` at scale: 200,000 documents on 60 department sites, without outside links
(prints figures; not a test). Target: under 60 s and under 1 GB.

    GOVSITE_CORPUS_TOOL=../shared/corpus/govcorpus.py .venv/bin/python bench/bench_inspect.py --docs 200000
    .venv/bin/python bench/bench_inspect.py --jsonl corpus-200k.jsonl [--data-dir /tmp/govsite-inspect-bench]

Fills a scratch data dir once (import of the shared corpus, 60 departments with a column per
信息类别, a 50-word 错敏词 list, a full build of the site without plugins so internal links and
attachments are checked against real files), then runs the command users run,
``govsite inspect --json --no-save``, as a child process: wall time, CPU time and the child's peak
RSS. The first run is cold: the data dir's files (database and site) are dropped from the page
cache first, as for the worker's daily run; the next ones are warm.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import corpus_tool
from results import recording

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# Runs the command and prints its peak RSS (KB) and CPU seconds last on stderr: only the command is measured, not
# this script's own children (the import, the build's render processes).
MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
           "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(r.returncode)")


def evict(root: Path) -> int:
    """Drop the data dir's files (database, built site) from the page cache (POSIX_FADV_DONTNEED), so
    the next run reads them from disk as a daily worker run does; other processes' caches stay."""
    n = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                if ".sqlite3" in name:  # written pages must reach the disk before they can be dropped
                    os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                n += 1
            except OSError:
                pass
            finally:
                os.close(fd)
    return n


def prepare(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from cms.build.jobs import build_from_database
    from cms.exchange.importer import import_records
    from cms.models import Column, PendingChange, WordCheck
    from content_models import vocabularies
    from content_models.models import Department, DisclosureDocument

    have = DisclosureDocument.objects.count()
    if have < args.docs:
        jsonl = Path(args.jsonl) if args.jsonl else Path(args.data_dir) / f"corpus-{args.docs}.jsonl"
        if not jsonl.exists():
            t = time.perf_counter()
            subprocess.run([sys.executable, str(corpus_tool()), "--docs", str(args.docs), "--seed", "1",
                            "--out", str(jsonl)], check=True)
            print(f"corpus: {args.docs} documents in {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        with open(jsonl, "rb") as fh:
            summary = import_records(line for line in fh if line.strip())
        print(f"import: {summary.created + summary.updated} documents in {time.perf_counter() - t:.0f} s")
    n = Department.objects.count()
    for i in range(n, args.sites):
        Department.objects.create(slug=f"bench{i}", name=f"基准测试部门{i}", sort_order=1000 + i)
    if not Column.objects.exists():
        Column.objects.bulk_create(
            [Column(department=d, name=c, column_type=vocabularies.CATEGORY_COLUMN_TYPES.get(c, "信息公开"),
                    category=c, description=f"{d.name}{c}", keywords=c, sort_order=k)
             for d in Department.objects.all() for k, c in enumerate(vocabularies.CATEGORIES)])
    if not WordCheck.objects.exists():
        WordCheck.objects.bulk_create([WordCheck(wrong=f"错词样例{i:02d}", correct=f"正词样例{i:02d}") for i in range(49)]
                                      + [WordCheck(wrong="中华人民共合国", correct="中华人民共和国")])
    site = Path(settings.GOVSITE_SITE_DIR)
    if not (site / "index.html").exists():
        settings.GOVSITE_BUILD_PLUGINS = []
        t = time.perf_counter()
        build_from_database(full=True)
        print(f"full build (no plugins): {time.perf_counter() - t:.0f} s")
    PendingChange.objects.all().delete()
    print(f"documents: {DisclosureDocument.objects.filter(live=True).count()}, departments: "
          f"{Department.objects.count()}, columns: {Column.objects.count()}, words: {WordCheck.objects.count()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--sites", type=int, default=60)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "govsite-inspect-bench"))
    parser.add_argument("--jsonl", help="import this JSONL corpus instead of generating one")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--warm-first", action="store_true",
                        help="do not drop the data dir from the page cache before the first run")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    os.environ["GOVSITE_DATA_DIR"] = args.data_dir
    os.environ.pop("GOVSITE_SITE_DIR", None)
    prepare(args)
    govsite = Path(sys.executable).with_name("govsite")
    for run in range(1, args.repeat + 1):
        cold = run == 1 and not args.warm_first
        if cold:
            t = time.perf_counter()
            n = evict(Path(args.data_dir))
            print(f"cold run: {n} files of {args.data_dir} dropped from the page cache "
                  f"({time.perf_counter() - t:.0f} s, not timed)")
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", MEASURE, str(govsite), "inspect", "--json", "--no-save"],
                             check=True, capture_output=True, env={**os.environ, "GOVSITE_DATA_DIR": args.data_dir})
        wall = time.perf_counter() - t
        peak_kb, cpu = out.stderr.decode().strip().splitlines()[-1].split()
        peak, cpu = int(peak_kb) / 1024, float(cpu)
        import orjson

        report = orjson.loads(out.stdout)
        counts = ", ".join(f"{k} {v}" for k, v in report["counts"].items())
        print(f"run {run} ({'cold' if cold else 'warm'}): govsite inspect {wall:.1f} s wall "
              f"(checks {report['seconds']:.1f} s, CPU {cpu:.1f} s), "
              f"peak RSS {peak:.0f} MB; findings: {counts}")
    print("target: < 60 s, < 1024 MB")


if __name__ == "__main__":
    with recording("bench_inspect: govsite inspect at scale"):
        main()
