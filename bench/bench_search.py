"""Benchmark the static search index at scale and print the figures.

    .venv/bin/python bench/bench_search.py --docs 200000            # everything
    .venv/bin/python bench/bench_search.py --docs 20000 --skip-browser

Steps: generate the shared corpus (named by ``GOVSITE_CORPUS_TOOL``, see bench/corpus.py; benchmarks may use it, tests
never do), build the index cold (nothing cached) in a child process, rebuild warm (tokens cached),
update incrementally (1 changed, 1 withdrawn), measure the index files, time the Python engine and
``/api/search`` (p50/p95), run the known-item test at scale, and load the search page in headless chromium over a plain static server
(files served as they are, like a bucket) to measure bytes per query with the resource-timing API.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from corpus import corpus_tool
from results import recording

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")


def read_jsonl(path: Path, limit: int | None = None):
    import orjson

    with open(path, "rb") as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                return
            rec = orjson.loads(line)
            if "op" not in rec:
                yield rec


def child_build(args) -> None:
    """Runs in a child process so that its peak memory is its own."""
    from search_index.build import build_index

    t0, c0 = time.perf_counter(), time.process_time()
    stats = build_index(read_jsonl(Path(args.corpus)), args.out, args.state, full=True)
    wall = time.perf_counter() - t0
    self_ru = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "wall_s": round(wall, 1), "cpu_s": round(time.process_time() - c0 + kids.ru_utime + kids.ru_stime, 1),
        "peak_rss_mb": round(self_ru.ru_maxrss / 1024), "worker_peak_rss_mb": round(kids.ru_maxrss / 1024),
        "tokenized": stats.tokenized, "documents": stats.documents, "postings": stats.postings,
        "terms": stats.terms, "files": stats.files, "bytes": stats.bytes,
        "phases_s": {k: round(v, 1) for k, v in stats.seconds.items()},
    }))


def run_child_build(corpus: Path, out: Path, state: Path) -> dict:
    cmd = [sys.executable, __file__, "--child-build", "--corpus", str(corpus), "--out", str(out), "--state", str(state)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode:
        print(res.stderr[-3000:])
        raise SystemExit("index build failed")
    return json.loads(res.stdout.strip().splitlines()[-1])


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def file_sizes(out: Path) -> dict:
    idx = out / "search" / "idx"
    report = {}
    for kind in ("s", "p", "c", "d", "t"):
        sizes = [p.stat().st_size for p in (idx / kind).glob("*.bin")]
        if sizes:
            report[kind] = {"files": len(sizes), "total_mb": round(sum(sizes) / 2**20, 1),
                            "median_b": int(statistics.median(sizes)), "p99_b": int(pct(sizes, 99)),
                            "max_b": max(sizes)}
    report["manifest_b"] = (idx / "manifest.json").stat().st_size
    return report


def pick_queries(corpus: Path, n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    sample = []
    for i, rec in enumerate(read_jsonl(corpus)):
        if len(sample) < 2000:
            sample.append(rec)
        elif rng.random() < 2000 / (i + 1):
            sample[rng.randrange(2000)] = rec
    queries = ["营商环境", "关于进一步加强", "通知", "政府信息公开", "營商環境", "乡村振兴 2024", "安全生产专项整治"]
    for rec in rng.sample(sample, n):
        kind = rng.random()
        if rec.get("doc_no") and kind < 0.3:
            queries.append(rec["doc_no"].replace("〔", "[").replace("〕", "]"))
        elif rec.get("index_no") and kind < 0.4:
            queries.append(rec["index_no"])
        else:
            t = rec["title"]
            a = rng.randrange(0, max(1, len(t) - 6))
            queries.append(t[a : a + rng.randint(4, 10)])
    return queries


def bench_server(out: Path, queries: list[str]) -> dict:
    import django

    django.setup()
    from django.test import Client, override_settings

    from search_index.query import Query, SearchIndex

    index = SearchIndex(out)
    cold = []
    for q in queries:
        t = time.perf_counter()
        index.search(Query(q=q))
        cold.append((time.perf_counter() - t) * 1000)
    warm = []
    for q in queries:
        t = time.perf_counter()
        index.search(Query(q=q))
        warm.append((time.perf_counter() - t) * 1000)
    api = []
    client = Client()
    with override_settings(GOVSITE_SITE_DIR=out):
        for q in queries:
            t = time.perf_counter()
            resp = client.get("/api/search", {"q": q})
            api.append((time.perf_counter() - t) * 1000)
            assert resp.status_code == 200, resp.content[:300]
    return {
        "queries": len(queries),
        "engine_first_touch_ms": {"p50": round(pct(cold, 50), 1), "p95": round(pct(cold, 95), 1)},
        "engine_warm_ms": {"p50": round(pct(warm, 50), 1), "p95": round(pct(warm, 95), 1)},
        "api_ms": {"p50": round(pct(api, 50), 1), "p95": round(pct(api, 95), 1), "max": round(max(api), 1)},
    }


def known_items(corpus: Path, out: Path, n: int = 300, seed: int = 5) -> dict:
    """The issue's known-item test at scale: a sampled document found in the top 3 by its title
    less its first and last characters (among documents whose title no other document has: most
    generated titles repeat across organs and years, and then any of the twins is a right answer),
    and by its 文号 typed with other brackets (top 1)."""
    from collections import Counter

    from search_index.query import Query, SearchIndex

    rng = random.Random(seed)
    titles: Counter[str] = Counter()
    sample = []
    for rec in read_jsonl(corpus):
        titles[rec["title"]] += 1
        if rng.random() < 0.03:
            sample.append({k: rec.get(k) for k in ("id", "title", "doc_no")})
    unique = [r for r in sample if titles[r["title"]] == 1 and len(r["title"]) > 6]
    by_title = rng.sample(unique, min(n, len(unique)))
    by_no = rng.sample([r for r in sample if r.get("doc_no")], n)
    index = SearchIndex(out)
    title_hits = sum(r["id"] in [x["id"] for x in index.search(Query(q=r["title"][1:-1])).results[:3]] for r in by_title)
    no_hits = 0
    for r in by_no:
        typed = r["doc_no"].replace("〔", "[").replace("〕", "]")
        res = index.search(Query(q=typed)).results
        no_hits += bool(res) and res[0]["id"] == r["id"]
    return {"titles_of_their_own_share": round(len(unique) / max(1, len(sample)), 3),
            "title_top3": f"{title_hits}/{len(by_title)}", "doc_no_top1": f"{no_hits}/{len(by_no)}"}


def write_search_page(out: Path) -> None:
    """The theme's search page and assets, as the site build writes them."""
    from site_generator.config import BuildConfig
    from site_generator.render import Renderer

    renderer = Renderer(BuildConfig(), [])
    page = renderer.render_page("pages/search.html", {"meta": {"title": None, "column": ""}})
    (out / "search").mkdir(parents=True, exist_ok=True)
    (out / "search" / "index.html").write_bytes(page)
    for theme in renderer.themes.all():
        for rel_out, src in theme.assets.values():
            dst = out / rel_out
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


JS_ENTRIES = "performance.getEntriesByType('resource').map(e => [e.name, e.transferSize, e.encodedBodySize, e.responseEnd])"


def title_queries(corpus: Path, n: int, seed: int = 7) -> list[str]:
    """Whole titles less their first and last characters: what a reader types who knows the notice."""
    rng = random.Random(seed)
    sample = [rec["title"] for rec in read_jsonl(corpus) if rng.random() < 0.002 and len(rec["title"]) > 8]
    return [t[1:-1] for t in rng.sample(sample, n)]


def bench_browser(out: Path, queries: list[str], titles: list[str] = ()) -> dict:
    from tests.helpers.browser import Chromium, StaticServer, chromium_available

    if not chromium_available():
        return {"skipped": "chromium is not installed"}
    write_search_page(out)
    report = {"queries": []}
    with StaticServer(out) as server, Chromium() as br:
        br.navigate(server.url + "/search/", wait_for="document.documentElement.classList.contains('search-ready')")
        br.evaluate("performance.setResourceTimingBufferSize(100000)")
        page_entries = br.evaluate(JS_ENTRIES)
        page_bytes = sum(e[1] for e in page_entries)
        report["page_load_bytes"] = page_bytes
        report["page_load_files"] = [(e[0].rsplit("/", 1)[-1], e[1]) for e in page_entries]
        seen = len(page_entries)
        for i, q in enumerate([*queries, *titles]):
            br.evaluate("document.getElementById('search-q').value = ''")
            br.type_text("#search-q", q)
            br.wait(f"govsiteSearch.last && govsiteSearch.last.query === {json.dumps(q)}", timeout=60)
            last = br.evaluate("govsiteSearch.last")
            entries = br.evaluate(JS_ENTRIES)
            new = entries[seen:]
            seen = len(entries)
            transferred = sum(e[1] for e in new)
            last_byte = max((e[3] for e in new), default=last["started"])
            report["queries"].append({
                "q": q, "total": last["total"], "files": len(new), "bytes": transferred,
                "ms_total": round(last["rendered"] - last["started"], 1),
                "ms_after_last_byte": round(last["rendered"] - max(last_byte, last["started"]), 1),
                "first": i == 0,
            })
    qs = report["queries"][: len(queries)]
    titled = [q["bytes"] for q in report["queries"][len(queries):]]
    if titled:
        report["title_query_bytes"] = {"queries": len(titled), "median": int(statistics.median(titled)),
                                       "p95": int(pct(titled, 95)), "max": max(titled),
                                       "over_50k": sum(b > 50_000 for b in titled)}
    further = [q["bytes"] for q in qs[1:]]
    report["first_query_bytes"] = qs[0]["bytes"]
    report["first_query_plus_page_bytes"] = qs[0]["bytes"] + report["page_load_bytes"]
    report["further_query_bytes"] = {"median": int(statistics.median(further)), "p95": int(pct(further, 95)),
                                      "max": max(further)} if further else {}
    after = [q["ms_after_last_byte"] for q in report["queries"]]
    report["render_after_last_byte_ms"] = {"median": round(statistics.median(after), 1), "p95": round(pct(after, 95), 1),
                                           "max": max(after)}
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200000)
    ap.add_argument("--corpus", default=None, help="JSONL corpus (default: generate one with govcorpus.py)")
    ap.add_argument("--work", default="/tmp/bench-search")
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the state of an earlier run: skip the cold build")
    ap.add_argument("--child-build", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--state", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_build:
        child_build(args)
        return

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    corpus = Path(args.corpus) if args.corpus else work / f"corpus-{args.docs}.jsonl"
    if not corpus.exists():
        print(f"generating {corpus} …", flush=True)
        subprocess.run([sys.executable, str(corpus_tool()), "--docs", str(args.docs), "--seed", "1", "--out", str(corpus)],
                       check=True)
    out, state = work / "site", work / "state"
    print(f"== index build, {args.docs} documents ==", flush=True)
    if not (args.reuse and state.exists()):
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        cold = run_child_build(corpus, out, state)
        print("cold (nothing cached):", json.dumps(cold, ensure_ascii=False), flush=True)
    warm = run_child_build(corpus, out, state)
    print("warm (tokens cached): ", json.dumps(warm, ensure_ascii=False), flush=True)

    from search_index.build import build_index

    recs = list(read_jsonl(corpus, limit=3))
    changed = dict(recs[1], title=recs[1]["title"] + "（修订）")
    t = time.perf_counter()
    inc = build_index([changed], out, state, removed_ids={recs[2]["id"]}, full=False)
    print(f"incremental (1 changed, 1 withdrawn): {time.perf_counter() - t:.1f} s in-process, patched {inc.patched}, "
          f"tokenized {inc.tokenized}, files written {inc.files} ({inc.bytes} bytes)", flush=True)
    t = time.perf_counter()
    inc = build_index(recs[2:3], out, state, full=False)
    print(f"incremental (1 republished): {time.perf_counter() - t:.1f} s, files written {inc.files}", flush=True)

    print("== index files ==")
    print(json.dumps(file_sizes(out), ensure_ascii=False))

    queries = pick_queries(corpus, args.queries)
    print("== server (Python engine, /api/search) ==", flush=True)
    print(json.dumps(bench_server(out, queries), ensure_ascii=False), flush=True)

    print("== known items (Python engine) ==", flush=True)
    print(json.dumps(known_items(corpus, out), ensure_ascii=False), flush=True)

    if not args.skip_browser:
        print("== browser (headless chromium, static http.server, files as they are) ==", flush=True)
        report = bench_browser(out, queries[:40], title_queries(corpus, 40))
        for q in report.get("queries", []):
            print(f"  {q['q'][:24]:<26} total={q['total']:<7} files={q['files']:<3} bytes={q['bytes']:<7} "
                  f"ms={q['ms_total']:<7} after_last_byte={q['ms_after_last_byte']}")
        summary = {k: v for k, v in report.items() if k not in ("queries", "page_load_files")}
        print(json.dumps(summary, ensure_ascii=False))
        print("page load files:", report.get("page_load_files"))


if __name__ == "__main__":
    with recording("bench_search: static search index"):
        main()
