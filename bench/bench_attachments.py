"""Attachments at scale (issue 13): import with --files, text extraction, build cost, publish cost.

For a corpus of the shared generator (about one attachment per document) the benchmark writes a
small real file for every attachment (PDF, Word, Excel, OFD: ``cms.demo.files``), then, in child
processes with a private GOVSITE_DATA_DIR (SQLite):

1. ``govsite import_documents --files`` into a fresh database: documents/s (text extraction
   excluded), files stored, peak RSS; then the same import again (nothing new to store);
2. ``govsite extract_attachments``: files/s of the separate extraction step;
3. ``govsite build_site --full --no-plugins`` twice, alternating, with the file store and with an
   empty store (the same records, every attachment 暂缺, nothing linked): the cost of placing the
   files (hard links by hash, never read);
4. on a smaller site (``--publish-docs``): a first publish to a moto S3 server on loopback, then
   one new document with a new attachment → incremental build → publish: write requests.

    .venv/bin/python bench/bench_attachments.py --docs 20000

At 200,000 documents the steps run one at a time (``--stage``) on one ``--workdir``, so each
measured run holds the benchmark lock for minutes, not an hour; ``prepare`` (corpus, files,
databases) is not measured and runs outside the lock. Each stage writes its own section::

    .venv/bin/python bench/bench_attachments.py --docs 200000 --workdir W --stage prepare
    flock LOCK nice -n -10 .venv/bin/python bench/bench_attachments.py --docs 200000 --workdir W --stage import
    ... --stage extract / --stage build / --stage publish
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from corpus import corpus_tool
from results import recording

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOVSITE = ROOT / ".venv" / "bin" / "govsite"

from cms.demo.files import write_sample_files  # noqa: E402 - after the project root is on the path


def run(args: list[str], env: dict) -> tuple[float, float, float, str]:
    """Run a child; (wall seconds, CPU seconds, peak RSS MB, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(str(a) for a in args[1:3])} failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout


def inner_seconds(stdout: str, fallback: float) -> float:
    m = re.search(r"用时 ([\d.]+) 秒", stdout)
    return float(m.group(1)) if m else fallback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus(work: Path, docs: int) -> Path:
    path = work / f"corpus-{docs}.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(corpus_tool()), "--docs", str(docs), "--seed", "1", "--out", str(path)],
                       check=True)
    return path


def write_files(path: Path, files: Path) -> tuple[int, float]:
    started = time.perf_counter()
    if files.exists():
        shutil.rmtree(files)
    with open(path, "rb") as fh:
        count = write_sample_files((orjson.loads(line) for line in fh if line.strip()), files)
    return count, time.perf_counter() - started


def env_for(data: Path) -> dict:
    env = {**os.environ, "GOVSITE_DATA_DIR": str(data), "GOVSITE_SERVICES": "", "GOVSITE_BUILD_PLUGINS": ""}
    env.pop("DATABASE_URL", None)
    return env


STAGES = ("all", "prepare", "import", "reimport", "extract", "build", "publish")


def prepare(work: Path, n: int) -> tuple[Path, Path]:
    """The corpus and one small real file per attachment (not measured)."""
    src = corpus(work, n)
    files = work / "files"
    marker = work / f"files-{n}.done"
    if not marker.exists():
        count, secs = write_files(src, files)
        marker.write_text(str(count))
        print(f"{n} documents, {count} attachment files written ({secs:.1f} s)")
    return src, files


def stage_import(work: Path, n: int, src: Path, files: Path, baseline: bool) -> None:
    data = work / f"data-{n}"
    shutil.rmtree(data, ignore_errors=True)
    env = env_for(data)
    run([str(GOVSITE), "migrate", "-v0"], env)
    base_rate = base_cpu = None
    if baseline:
        # The same corpus imported without --files into its own database, in the same window.
        base = work / f"data-{n}-nofiles"
        shutil.rmtree(base, ignore_errors=True)
        run([str(GOVSITE), "migrate", "-v0"], env_for(base))
        wall, cpu, rss, out = run([str(GOVSITE), "import_documents", str(src), "--quiet"], env_for(base))
        inner = inner_seconds(out, wall)
        base_rate, base_cpu = n / inner, cpu
        print(f"import without files (baseline): {n / inner:,.0f} documents/s (importer {inner:.1f} s; CPU {cpu:.1f} s "
              f"= {n / cpu:,.0f} documents per CPU-second)")
        shutil.rmtree(base, ignore_errors=True)
    wall, cpu, rss, out = run([str(GOVSITE), "import_documents", str(src), "--files", str(files), "--quiet"], env)
    inner = inner_seconds(out, wall)
    print(f"import --files (CPU {cpu:.1f} s = {n / cpu:,.0f} documents per CPU-second): {n / inner:,.0f} documents/s (importer {inner:.1f} s; process {wall:.1f} s wall, "
          f"CPU {cpu:.1f} s, peak RSS {rss:.0f} MB); target ≥ 1,000 documents/s")
    print(f"   {out.strip()}")
    if base_rate:
        print(f"   with files against without, same run: {n / inner / base_rate:.2f} of the rate, "
              f"{cpu / base_cpu:.2f}× the CPU")
    store = data / "files"
    blobs = sum(1 for p in store.rglob("*") if p.is_file() and not p.name.startswith("."))
    print(f"   store: {blobs} files (identical ones once)")


def stage_reimport(work: Path, n: int, src: Path, files: Path) -> None:
    data = work / f"data-{n}"
    env = env_for(data)
    store = data / "files"
    wall, cpu, rss, out = run([str(GOVSITE), "import_documents", str(src), "--files", str(files), "--quiet"], env)
    inner = inner_seconds(out, wall)
    print(f"re-import --files: {n / inner:,.0f} documents/s ({inner:.1f} s); store still "
          f"{sum(1 for p in store.rglob('*') if p.is_file() and not p.name.startswith('.'))} files "
          "(unchanged source files are not read again)")


def stage_extract(work: Path, n: int) -> None:
    env = env_for(work / f"data-{n}")
    wall, cpu, rss, out = run([str(GOVSITE), "extract_attachments", "--quiet"], env)
    m = re.search(r"(\d+) 个文件", out)
    files_read = int(m.group(1)) if m else 0
    print(f"extraction (separate step, 2 processes): {files_read / inner_seconds(out, wall):,.0f} files/s; "
          f"{out.strip()}; process {wall:.1f} s wall, CPU {cpu:.1f} s = {files_read / cpu:,.0f} files per "
          f"CPU-second, peak RSS {rss:.0f} MB")


def stage_build(work: Path, n: int, rounds: int) -> None:
    data = work / f"data-{n}"
    env = env_for(data)
    store = data / "files"
    empty = work / "empty-store"
    empty.mkdir(exist_ok=True)
    timings: dict[str, list[float]] = {"with files": [], "without files": []}
    cpus: dict[str, list[float]] = {"with files": [], "without files": []}
    for round_no in range(rounds):
        for label, store_dir in (("with files", store), ("without files", empty)):
            out_dir = work / f"site-{label.replace(' ', '-')}"
            wall, cpu, rss, out = run([str(GOVSITE), "build_site", "--full", "--no-plugins", "--out", str(out_dir)],
                                      {**env, "GOVSITE_FILES_DIR": str(store_dir)})
            timings[label].append(wall)
            cpus[label].append(cpu)
            print(f"full build {label} (round {round_no + 1}): {wall:.1f} s wall, CPU {cpu:.1f} s, "
                  f"peak RSS {rss:.0f} MB")
    best = {k: min(v) for k, v in timings.items()}
    cpu_best = {k: min(v) for k, v in cpus.items()}
    print(f"full build (best of {rounds}): {best['with files']:.1f} s with files against {best['without files']:.1f} s "
          f"without = {100 * (best['with files'] / best['without files'] - 1):+.1f} % wall; CPU "
          f"{cpu_best['with files']:.1f} s against {cpu_best['without files']:.1f} s = "
          f"{100 * (cpu_best['with files'] / cpu_best['without files'] - 1):+.1f} % (target within 10 %)")


def main(opts: argparse.Namespace) -> None:
    work = Path(opts.workdir or tempfile.mkdtemp(prefix="bench-attachments-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir: {work}; cores: {os.cpu_count()}; load {os.getloadavg()[0]:.1f}; stage {opts.stage}")
    n = opts.docs
    src, files = prepare(work, n)
    stage = opts.stage
    if stage in ("all", "import"):
        stage_import(work, n, src, files, baseline=stage == "all" or opts.baseline)
    if stage in ("all", "reimport"):
        stage_reimport(work, n, src, files)
    if stage in ("all", "extract"):
        stage_extract(work, n)
    if stage in ("all", "build"):
        stage_build(work, n, opts.rounds)
    if stage in ("all", "publish") and not opts.skip_publish:
        publish_round(work, src, files, opts.publish_docs)


def options() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--publish-docs", type=int, default=2000)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--skip-publish", action="store_true")
    ap.add_argument("--stage", choices=STAGES, default="all",
                    help="one step on an existing --workdir (prepare is not measured: run it outside the lock)")
    ap.add_argument("--rounds", type=int, default=3, help="full-build pairs (with and without files)")
    ap.add_argument("--baseline", action="store_true", help="--stage import: also import without --files first")
    return ap.parse_args()


def publish_round(work: Path, src: Path, files: Path, docs: int) -> None:
    """A first publish of a smaller site, then one new document with a new attachment."""
    small = work / f"corpus-{docs}-head.jsonl"
    with open(src, "rb") as fh, open(small, "wb") as out:
        for i, line in enumerate(fh):
            if i >= docs:
                break
            out.write(line)
    data = work / f"data-publish-{docs}"
    shutil.rmtree(data, ignore_errors=True)
    env = env_for(data)
    run([str(GOVSITE), "migrate", "-v0"], env)
    run([str(GOVSITE), "import_documents", str(small), "--files", str(files), "--quiet"], env)
    site = data / "site"
    run([str(GOVSITE), "build_site", "--full", "--no-plugins", "--out", str(site)], env)
    port = free_port()
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        import boto3

        from publish.runner import publish
        from publish.targets import S3Options, S3Target

        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench-attachments")
        cache = data / "publish-hashes.json"
        s = publish(site, S3Target("bench-attachments", "www", S3Options(endpoint_url=endpoint)), cache_path=cache)
        print(f"first publish of {docs} documents: {len(s.uploads)} objects in {s.seconds:.1f} s")
        new_file = files / "bench-new" / "新增附件.pdf"
        write_sample_files([{"title": "基准测试新增文件", "organ": "基准",
                             "attachments": [{"title": "新增附件", "file": "bench-new/新增附件.pdf"}]}], files)
        first = orjson.loads(small.read_bytes().split(b"\n", 1)[0])  # a department the site already has
        record = {"id": "bench-new-1", "site": first["site"], "organ": first["organ"], "title": "基准测试新增文件",
                  "published": "2026-12-01T09:00:00+08:00", "body_html": "<p>正文</p>",
                  "attachments": [{"title": "新增附件", "file": str(new_file.relative_to(files)), "bytes": None}]}
        one = work / "one.jsonl"
        one.write_bytes(orjson.dumps(record) + b"\n")
        run([str(GOVSITE), "import_documents", str(one), "--files", str(files), "--quiet"], env)
        wall, _cpu, _rss, out = run([str(GOVSITE), "build_site", "--no-plugins", "--out", str(site)], env)
        print(f"one new document with a new attachment, incremental build: {wall:.2f} s; {out.strip()}")
        target = S3Target("bench-attachments", "www", S3Options(endpoint_url=endpoint))
        s = publish(site, target, cache_path=cache)
        print(f"publish after it: {len(s.uploads)} uploaded, {s.write_requests} write requests "
              f"({dict(target.requests)}), {s.seconds:.2f} s; target < 20 write requests")
        print("   uploaded: " + ", ".join(s.uploads[:25]) + (" …" if len(s.uploads) > 25 else ""))
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    OPTS = options()
    if OPTS.stage == "prepare":
        main(OPTS)
    else:
        title = "bench_attachments: import --files, extraction, build and publish with attachments"
        if OPTS.stage != "all":
            title = f"bench_attachments {OPTS.docs:,} documents, stage {OPTS.stage}"
        with recording(title):
            main(OPTS)
