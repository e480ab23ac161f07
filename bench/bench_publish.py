"""Publishing speed against a loopback S3 server (moto in server mode, in a subprocess).

    .venv/bin/python bench/bench_publish.py [--docs 20000] [--synthetic] [--workers 8]

1. builds a site from ``--docs`` documents with the project's generator (``cms.demo.sample``
   + ``site_generator.build``), or synthesizes a tree of the same shape with ``--synthetic`` (or
   when the generator fails): ~14 KB document pages, list pages, feeds, sitemaps, hashed assets;
2. first publish: objects/s;
3. one document changes (its title), the site is rebuilt incrementally, and published again:
   requests (all / writes) and seconds, in-process and as a whole ``python -m publish`` process.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results import recording

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError("moto server did not start")


# -- synthetic site of the generator's shape ------------------------------------------------

_FILLER = "政务公开是建设法治政府的重要内容。各级行政机关应当坚持以公开为常态、不公开为例外。" * 40


def _doc_page(i: int, title: str) -> bytes:
    body = f"<main><h1>{title}</h1><table>" + "".join(f"<tr><td>字段{k}</td><td>值{i}-{k}</td></tr>" for k in range(12))
    page = (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{title}</title><link rel='stylesheet' href='/static/site.3fa9c2d1e5.css'></head><body>"
        f"<header><form action='/search/' role='search'><input name='q'></form></header>{body}</table>"
        f"<article>{_FILLER[: 2200 + (i % 500)]}</article><footer>{'部门' * 300}</footer></body></html>"
    )
    return page.encode()


def synthesize(root: Path, docs: int) -> None:
    rng = random.Random(1)
    for i in range(docs):
        p = root / "docs" / f"{i // 1000:03d}" / f"{i}" / "index.html"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(_doc_page(i, f"关于印发第{i}号文件的通知"))
    per_page = 20
    for d in range(59):  # departments: each has its own list
        ids = [i for i in range(docs) if i % 59 == d]
        for page in range(0, max(1, len(ids)), per_page):
            p = root / "dept" / f"d{d}" / (f"{page // per_page + 1}" if page else "") / "index.html"
            p.parent.mkdir(parents=True, exist_ok=True)
            links = "".join(f"<li><a href='/docs/{j // 1000:03d}/{j}/'>文件{j}</a></li>" for j in ids[page : page + per_page])
            p.write_bytes(f"<!doctype html><title>部门{d}</title><ul>{links}</ul>".encode())
        (root / "dept" / f"d{d}" / "feed.xml").write_bytes(
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{"<item/>" * 50}</channel></rss>'.encode()
        )
    for page in range(0, docs, per_page):  # the site-wide list
        p = root / "list" / (f"{page // per_page + 1}" if page else "") / "index.html"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(f"<!doctype html><title>全部文件</title>{'<li>x</li>' * per_page}".encode())
    (root / "sitemaps").mkdir()
    for s in range(0, docs, 5000):
        (root / "sitemaps" / f"sitemap-{s // 5000 + 1}.xml").write_bytes(b"<urlset>" + b"<url/>" * 5000 + b"</urlset>")
    (root / "sitemap.xml").write_bytes(b"<sitemapindex/>")
    (root / "feed.xml").write_bytes(b'<?xml version="1.0"?><rss version="2.0"/>')
    (root / "index.html").write_bytes("<!doctype html><title>首页</title>".encode())
    (root / "static").mkdir()
    for name in ("site.3fa9c2d1e5.css", "site.0a1b2c3d4e.js", "logo.77aa88bb99.png"):
        (root / "static" / name).write_bytes(os.urandom(20000))
    (root / "search" / "idx" / "s").mkdir(parents=True)
    for _k in range(300):
        (root / "search" / "idx" / "s" / f"{rng.getrandbits(64):016x}.bin").write_bytes(os.urandom(3000))
    (root / "search" / "idx" / "manifest.json").write_bytes(b"{}")


def synthetic_change(root: Path, docs: int) -> None:
    """What an incremental build of one corrected title rewrites: the page, its list pages, feeds."""
    i = docs // 2
    rels = (f"docs/{i // 1000:03d}/{i}/index.html", f"dept/d{i % 59}/index.html", "list/index.html",
            f"dept/d{i % 59}/feed.xml", "feed.xml", "sitemaps/sitemap-1.xml", "sitemap.xml")
    for rel in rels:
        p = root / rel
        data = p.read_bytes() + f"<!-- rev {time.time_ns()} -->".encode()
        tmp = p.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, p)
    return list(rels)


# -- the project's generator ----------------------------------------------------------------

def generator_build(out: Path, docs: int):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
    import django

    django.setup()
    from cms.build.config import from_settings
    from cms.demo.sample import generate_sample
    from site_generator.build import build_site

    # the configured build plugins too (search index, services), as a real site has them
    config = from_settings()
    records = list(generate_sample(docs=docs, seed=1))
    t = time.monotonic()
    build_site(records, out, full=True, config=config)
    print(f"generator: built {docs} documents in {time.monotonic() - t:.1f} s")

    def change() -> None:
        rec = records[len(records) // 2]
        rec["title"] = rec["title"] + "（修订）"
        t = time.monotonic()
        result = build_site(records, out, full=False, config=config)
        paths = list(result.changed_paths)
        print(f"generator: {'FULL' if result.full else 'incremental'} build after one changed title in "
              f"{time.monotonic() - t:.1f} s ({len(paths)} paths)")
        return None if result.full else paths  # as the plugin records it: None = walk everything

    return change


def count_files(root: Path) -> tuple[int, int]:
    n = size = 0
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            n += 1
            size += os.path.getsize(os.path.join(dirpath, f))
    return n, size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--synthetic", action="store_true", help="synthesize the tree instead of using the generator")
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    os.environ.setdefault("GOVSITE_DATA_DIR", str(work / "data"))
    site = work / "site"
    change = None
    if not args.synthetic:
        try:
            change = generator_build(site, args.docs)
            mode = "project generator (cms.demo.sample + site_generator.build)"
        except Exception as exc:  # noqa: BLE001 - fall back, and say so
            print(f"generator not usable ({type(exc).__name__}: {exc}); synthesizing the tree instead")
            shutil.rmtree(site, ignore_errors=True)
    if change is None:
        site.mkdir(parents=True, exist_ok=True)
        synthesize(site, args.docs)
        mode = "SYNTHETIC tree of the generator's shape (not the generator's output)"
        change = lambda: synthetic_change(site, args.docs)  # noqa: E731
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before publishing "
          "(other work on the machine slows every figure below)")
    files, size = count_files(site.resolve())
    print(f"site: {mode}; {files} files, {size / 1e6:.0f} MB")

    moto, endpoint = start_moto()
    try:
        import boto3

        from publish.changes import ChangeLog
        from publish.runner import publish
        from publish.targets import S3Options, S3Target

        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench-site")
        state = work / "publish-state"
        cache = state / "hashes.json"
        log = ChangeLog(state / "changes")  # what the build plugin records after each build
        opts = S3Options(endpoint_url=endpoint, workers=args.workers)

        target = S3Target("bench-site", "www", opts)
        cpu = time.process_time()
        s = publish(site, target, workers=args.workers, cache_path=cache, changes=log)
        cpu = time.process_time() - cpu
        print(f"first publish: {len(s.uploads)} objects, {s.bytes_sent / 1e6:.0f} MB in {s.seconds:.1f} s "
              f"= {len(s.uploads) / s.seconds:.0f} objects/s ({s.requests} requests, workers={args.workers}); "
              f"publisher CPU {cpu:.1f} s = {1000 * cpu / max(1, len(s.uploads)):.2f} ms/object "
              f"(the rest is the moto server, one Python process on the same 2 cores)")

        target = S3Target("bench-site", "www", opts)
        s = publish(site, target, workers=args.workers, cache_path=cache, changes=log)
        print(f"no change: {s.requests} requests ({s.write_requests} writes) in {s.seconds:.2f} s")

        def one_change(label: str, *, trust: bool) -> None:
            paths = change()
            log.record(paths)
            target = S3Target("bench-site", "www", opts)
            s = publish(site, target, workers=args.workers, cache_path=cache, changes=log, trust_changes=trust)
            print(f"one-document change, {label}: {len(s.uploads)} uploaded, {len(s.deletes)} deleted, "
                  f"{s.requests} requests ({s.write_requests} writes) in {s.seconds:.2f} s; {dict(target.requests)}")
            print(f"  local side: {s.scanned}; phases:", ", ".join(f"{k} {v:.2f} s" for k, v in s.timings.items()))
            print("  uploaded:", ", ".join(s.uploads), "| deleted:", ", ".join(s.deletes) or "-")

        one_change("auto-publish after the build (change log, no tree walk)", trust=True)
        one_change("govsite publish_site (walks the tree, hash cache)", trust=False)

        change()
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "PYTHONPATH": str(ROOT)}
        t = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "publish", "--site", str(site), "--to", "s3://bench-site/www", "--quiet",
             "--state-dir", str(state)],
            env=env, capture_output=True, text=True,
        )
        wall = time.monotonic() - t
        print(f"one-document change, whole `python -m publish` process incl. start-up and tree walk: {wall:.2f} s; "
              f"{done.stdout.strip() or done.stderr.strip()}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        moto.terminate()
        moto.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    with recording("bench_publish: publishing to a directory and S3"):
        main()
