"""Benchmark the static search index at scale and print the figures.

    .venv/bin/python bench/bench_search.py --docs 200000            # everything
    .venv/bin/python bench/bench_search.py --docs 20000 --skip-browser

The corpus: ``--corpus FILE.jsonl`` or ``GOVSITE_SEARCH_CORPUS``, else generated with the shared
generator (named by ``GOVSITE_CORPUS_TOOL``, see bench/corpus.py; benchmarks may use it, tests
never do). The bench adds 672 documents numbered like laws and announcements (国务院令第N号,
…公告2019年第N号, joint numbers; half of them newer documents citing a number), which the
generator does not write.

Steps: build the index cold (load average printed beside it) (nothing cached) in a child process, rebuild warm (tokens cached),
update incrementally (1 changed, 1 withdrawn), measure the index files, time the Python engine and
``/api/search`` (p50/p95), run the known-item tests at scale (fragments of titles cut at random
positions: top 3; 文号 of every form: top 1), and load the search page in headless chromium over a plain static server
(files served as they are, like a bucket) to measure bytes per query with the resource-timing API
(words, whole titles, 文号 of every form, fragments cut anywhere).
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

from bench_full_build import own_priority
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
    # Its own session at the benchmark's priority (bench_full_build.own_priority: nice alone does not
    # reach across autogroups).
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, start_new_session=True,
                         preexec_fn=own_priority)
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


# Organs and kinds of the 文号 of laws, rules and announcements the bench adds to the corpus (the
# shared generator writes only 机关代字〔年份〕N号): (stored form, short forms a reader may type).
LAW_FORMS = [
    ("国务院令第{n}号", ["国令第{n}号", "中华人民共和国国务院令第{n}号", "国务院令 第{w}号"]),
    ("国家市场监督管理总局令第{n}号", ["市场监管总局令第{n}号", "国家市场监督管理总局令第{w}号"]),
    ("中华人民共和国主席令第{n}号", ["主席令第{n}号", "主席令（第{w}号）"]),
    ("杭州市人民代表大会常务委员会公告第{n}号", ["杭州市人大常委会公告第{n}号", "杭州市人民代表大会常务委员会公告第{w}号"]),
    ("杭州市人民政府令第{n}号", ["杭州市政府令第{n}号", "杭州市人民政府令第{w}号"]),
    ("国家税务总局公告{y}年第{n}号", ["税务总局公告{y}年第{n}号", "国家税务总局公告{y}年 第{w}号"]),
    ("财政部 税务总局公告{y}年第{n}号", ["财政部税务总局公告{y}年第{n}号", "税务总局公告{y}年第{n}号"]),
]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def law_records(template: dict, per_form: int = 48) -> list[dict]:
    """Documents numbered like laws and announcements, each with a newer document citing its number."""
    out = []
    for k, (stored, _typed) in enumerate(LAW_FORMS):
        for i in range(per_form):
            n, y = 3 * i + k + 1, 2016 + i % 9
            doc_no = stored.format(n=n, y=y)
            month = 1 + i % 12
            out.append(dict(template, id=f"law-{k}-{n}", doc_no=doc_no, title=f"第{k}类规章第{n}号的实施办法",
                            published=f"{y}-{month:02d}-15T09:00:00+08:00", body_html=f"<p>现公布{doc_no}。</p>"))
            out.append(dict(template, id=f"cite-{k}-{n}", doc_no=None, title=f"关于学习贯彻{doc_no}的通知",
                            published=f"2025-{month:02d}-20T09:00:00+08:00", body_html=f"<p>根据{doc_no}。</p>"))
    return out


def doc_no_queries(corpus: Path, n: int = 150, seed: int = 5) -> list[tuple[str, str]]:
    """(typed 文号, id): the added law numbers in every form (short organ names, full-width digits,
    spaces) and corpus 文号 typed with other brackets, full-width digits or without brackets."""
    rng = random.Random(seed)
    cases = []
    for k, (_stored, typed) in enumerate(LAW_FORMS):
        for i in range(48):
            n, y = 3 * i + k + 1, 2016 + i % 9
            form = typed[i % len(typed)]
            cases.append((form.format(n=n, y=y, w=str(n).translate(FULL_WIDTH)), f"law-{k}-{n}"))
    sample = [(r["doc_no"], r["id"]) for r in read_jsonl(corpus) if r.get("doc_no") and rng.random() < 0.01]
    spellings = [("[", "]"), ("（", "）"), ("【", "】"), ("", "")]
    for i, (doc_no, rid) in enumerate(rng.sample(sample, min(n, len(sample)))):
        o, c = spellings[i % len(spellings)]
        typed = doc_no.replace("〔", o).replace("〕", c)
        cases.append((typed.translate(FULL_WIDTH) if i % 3 == 0 else typed, rid))
    return cases


def fragment_queries(corpus: Path, n: int = 400, seed: int = 3) -> list[tuple[str, str]]:
    """(fragment, id): 6 or more characters of a title, cut at random positions, that no other
    title holds (the issue's known-item test)."""
    rng = random.Random(seed)
    records = [(r["id"], r["title"]) for r in read_jsonl(corpus)]
    joined = "\n".join(t for _i, t in records)
    # The corpus's own documents: the added law-style ones are there for the 文号 test (their
    # titles differ by a number only, which no real collection of titles does).
    records = [(i, t) for i, t in records if not i.startswith(("law-", "cite-"))]
    cases = []
    while len(cases) < n:
        rid, title = rng.choice(records)
        if len(title) < 6:
            continue
        size = rng.randint(6, len(title))
        start = rng.randint(0, len(title) - size)
        fragment = title[start : start + size]
        if joined.count(fragment) == 1:
            cases.append((fragment, rid))
    return cases


def known_items(out: Path, fragments: list[tuple[str, str]], doc_nos: list[tuple[str, str]]) -> dict:
    """Top 3 for fragments cut anywhere, top 1 for 文号 of every form (Python engine)."""
    from search_index.query import Query, SearchIndex

    index = SearchIndex(out)
    title_hits = sum(rid in [x["id"] for x in index.search(Query(q=q)).results[:3]] for q, rid in fragments)
    no_hits, missed = 0, []
    for q, rid in doc_nos:
        res = index.search(Query(q=q)).results
        if res and res[0]["id"] == rid:
            no_hits += 1
        else:
            missed.append(q)
    return {"fragments_top3": f"{title_hits}/{len(fragments)} = {title_hits / max(1, len(fragments)):.1%}",
            "doc_no_top1": f"{no_hits}/{len(doc_nos)} = {no_hits / max(1, len(doc_nos)):.1%}", "doc_no_missed": missed[:10]}


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


def bench_browser(out: Path, queries: list[str], groups: dict[str, list[str]]) -> dict:
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
        for i, q in enumerate([*queries, *(q for group in groups.values() for q in group)]):
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
    at = len(queries)
    for name, group in groups.items():
        sizes = [q["bytes"] for q in report["queries"][at : at + len(group)]]
        at += len(group)
        if sizes:
            report[name] = {"queries": len(sizes), "median": int(statistics.median(sizes)),
                            "p95": int(pct(sizes, 95)), "max": max(sizes),
                            "over_20k": sum(b > 20_000 for b in sizes), "over_50k": sum(b > 50_000 for b in sizes)}
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
    ap.add_argument("--corpus", default=os.environ.get("GOVSITE_SEARCH_CORPUS"),
                    help="JSONL corpus (or GOVSITE_SEARCH_CORPUS; default: generate one with GOVSITE_CORPUS_TOOL)")
    ap.add_argument("--work", default="/tmp/bench-search")
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep the state of an earlier run: skip the cold build")
    ap.add_argument("--build-only", action="store_true", help="only the cold and warm index builds (then stop)")
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
    base = corpus
    corpus = work / f"{base.stem}+laws.jsonl"
    if not corpus.exists() or corpus.stat().st_mtime < base.stat().st_mtime:
        import orjson

        template = next(read_jsonl(base, limit=1))
        tmp = corpus.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            with open(base, "rb") as src:
                shutil.copyfileobj(src, fh)
            for rec in law_records(template):
                fh.write(orjson.dumps(rec) + b"\n")
        os.replace(tmp, corpus)
    out, state = work / "site", work / "state"
    n_docs = sum(1 for _ in read_jsonl(corpus))
    print(f"== index build, {n_docs} documents ({base.name} + {len(LAW_FORMS) * 96} with 令/公告 numbers) ==", flush=True)
    if not (args.reuse and state.exists()):
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        load = os.getloadavg()[0]
        cold = run_child_build(corpus, out, state)
        print(f"cold (nothing cached): {cold['wall_s']} s wall (limit 60 s), load average {load:.1f} before / "
              f"{os.getloadavg()[0]:.1f} after on {os.cpu_count()} CPUs:", json.dumps(cold, ensure_ascii=False), flush=True)
    warm = run_child_build(corpus, out, state)
    print("warm (tokens cached): ", json.dumps(warm, ensure_ascii=False), flush=True)
    if args.build_only:
        return

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

    print("== known items (Python engine): fragments cut anywhere (top 3), 文号 of every form (top 1) ==", flush=True)
    fragments, doc_nos = fragment_queries(corpus), doc_no_queries(corpus)
    print(json.dumps(known_items(out, fragments, doc_nos), ensure_ascii=False), flush=True)

    if not args.skip_browser:
        print("== browser (headless chromium, static http.server, files as they are) ==", flush=True)
        rng = random.Random(9)
        groups = {"title_query_bytes": title_queries(corpus, 40),
                  "doc_no_query_bytes": [q for q, _ in rng.sample(doc_nos, 40)],
                  "fragment_query_bytes": [q for q, _ in rng.sample(fragments, 40)]}
        report = bench_browser(out, queries[:40], groups)
        for q in report.get("queries", []):
            print(f"  {q['q'][:24]:<26} total={q['total']:<7} files={q['files']:<3} bytes={q['bytes']:<7} "
                  f"ms={q['ms_total']:<7} after_last_byte={q['ms_after_last_byte']}")
        summary = {k: v for k, v in report.items() if k not in ("queries", "page_load_files")}
        print(json.dumps(summary, ensure_ascii=False))
        print("page load files:", report.get("page_load_files"))


if __name__ == "__main__":
    if "--child-build" in sys.argv:  # the child prints one JSON line for its parent, no report
        main()
    else:
        # --build-only keeps its own section: it must not replace the full run's figures
        title = ("bench_search --build-only: cold and warm index builds" if "--build-only" in sys.argv
                 else "bench_search: static search index")
        with recording(title):
            main()
