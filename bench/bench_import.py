"""Import speed and peak memory: ``govsite import_documents`` into a fresh SQLite database.

Generates corpora with the shared generator named by GOVSITE_CORPUS_TOOL (bench/corpus.py;
benchmarks may use it, tests never do),
then for each size runs ``migrate`` and ``import_documents`` in child processes with a private
GOVSITE_DATA_DIR and prints documents per second and the import child's peak RSS (ru_maxrss
from wait4, so the parent's memory is not counted). Then it times ``export_documents`` (which
streams through ``iter_document_records``, the same read the site build uses).

    .venv/bin/python bench/bench_import.py                # 20,000 and 200,000 documents
    .venv/bin/python bench/bench_import.py --sizes 20000  # a quick run
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import corpus_tool
from results import recording

ROOT = Path(__file__).resolve().parent.parent
GOVSITE = ROOT / ".venv" / "bin" / "govsite"


def run_measured(args: list[str], env: dict) -> tuple[float, float, str, str]:
    """Run a child and reap it with wait4 to read its own ru_maxrss (KB on Linux)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        sys.exit(f"{' '.join(args[1:3])} failed ({proc.returncode}):\n{stderr[-3000:]}")
    run_measured.cpu = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss / 1024, stdout, stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--workdir", default=None, help="where corpora and databases go (default: a temp dir)")
    opts = parser.parse_args()
    work = Path(opts.workdir or tempfile.mkdtemp(prefix="bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir: {work}  cores: {os.cpu_count()}")
    for n in (int(s) for s in opts.sizes.split(",")):
        corpus = work / f"corpus-{n}.jsonl"
        if not corpus.exists():
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, str(corpus_tool()), "--docs", str(n), "--seed", "1", "--out", str(corpus)], check=True
            )
            print(f"generated {n} documents in {time.perf_counter() - t:.1f}s ({corpus.stat().st_size / 1e6:.0f} MB)")
        data = work / f"data-{n}"
        subprocess.run(["rm", "-rf", str(data)], check=True)
        env = {**os.environ, "GOVSITE_DATA_DIR": str(data), "DATABASE_URL": ""}
        env.pop("DATABASE_URL")
        run_measured([str(GOVSITE), "migrate", "-v0"], env)
        seconds, rss, stdout, _ = run_measured([str(GOVSITE), "import_documents", str(corpus), "--quiet"], env)
        m = re.search(r"用时 ([\d.]+) 秒", stdout)
        inner = float(m.group(1)) if m else seconds
        cpu = run_measured.cpu
        print(
            f"import {n:>7} docs: {seconds:6.1f} s wall, {n / seconds:6.0f} docs/s "
            f"(importer alone {inner:.1f} s, {n / inner:.0f} docs/s), peak RSS {rss:.0f} MB, "
            f"CPU {cpu:.1f} s = {n / cpu:.0f} docs per CPU-second, load {os.getloadavg()[0]:.1f}"
        )
        print(f"   {stdout.strip()}")
        db = data / "govsite.sqlite3"
        print(f"   database {db.stat().st_size / 1e6:.0f} MB")
        out = work / f"export-{n}.jsonl"
        seconds, rss, stdout, _ = run_measured([str(GOVSITE), "export_documents", str(out)], env)
        print(
            f"export {n:>7} docs: {seconds:6.1f} s wall, {n / seconds:6.0f} docs/s, peak RSS {rss:.0f} MB, "
            f"CPU {run_measured.cpu:.1f} s"
        )
        seconds, rss, stdout, _ = run_measured([str(GOVSITE), "import_documents", str(corpus), "--quiet"], env)
        print(
            f"re-import {n:>4} docs: {seconds:6.1f} s wall, {n / seconds:6.0f} docs/s, peak RSS {rss:.0f} MB, "
            f"CPU {run_measured.cpu:.1f} s"
        )
        print(f"   {stdout.strip()}")


if __name__ == "__main__":
    with recording("bench_import: import and export"):
        main()
