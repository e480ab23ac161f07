"""Benchmark of contributed pages (``site_generator.pages``): a large page set, one page changed.

    .venv/bin/python bench/bench_page_sets.py                 # 5,000 letter pages
    .venv/bin/python bench/bench_page_sets.py --pages 20000

No Django: a sample of documents (the project's own generator) and a page set shaped like the
letters module's (one page per public letter, rendered with the default theme's
``partials/services/letters_detail.html``). Prints the full build, an incremental build with one
letter's answer changed, and one with nothing changed: seconds, pages rendered, files written. The
incremental build's cost must follow the change (one page), not the set (5,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import recording  # noqa: E402

from cms.demo.sample import generate_sample  # noqa: E402  (Django-free)
from site_generator.build import build_site  # noqa: E402
from site_generator.config import BuildConfig  # noqa: E402
from site_generator.pages import PageSet, PageSpec  # noqa: E402


def letters(n: int, answers: dict[int, str]) -> PageSet:
    pages = []
    for i in range(n):
        number = f"XJ20260101{i:06d}"
        letter = {"number": number, "kind": "建议", "subject": f"关于第{i}路公交线路调整的建议", "text": "建议增加早高峰班次。" * 20,
                  "name": "王*明", "accepted_on": dt.date(2026, 1, 1), "answered_on": dt.date(2026, 1, 5),
                  "answer_department": "交通运输局", "answer": answers.get(i, "已转交公交公司研究。" * 10)}
        pages.append(PageSpec(f"letters/{number}/index.html", "partials/services/letters_detail.html", {
            "api_base": "/api/services", "letter": letter,
            "meta": {"title": letter["subject"], "column": "政民互动", "canonical": f"/letters/{number}/"}}))
    return PageSet("letters", pages)


def timed(label: str, fn) -> float:
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    print(f"{label:<34} {seconds:8.2f} s   pages rendered {result.pages_rendered:>6}   "
          f"files written {result.files_written:>6}   release {result.release}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--docs", type=int, default=200)
    args = parser.parse_args()
    records = [r for r in generate_sample(docs=args.docs, seed=3) if "op" not in r]
    cfg = BuildConfig(processes=1, plugins=[])
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        out = Path(tmp) / "site"
        print(f"{args.docs} documents, a page set of {args.pages} letter pages")
        full = timed("full build", lambda: build_site(records, out, full=True, config=cfg,
                                                      page_sets=[letters(args.pages, {})]))
        one = timed("incremental, one answer changed", lambda: build_site(
            [], out, config=cfg, changed_ids=set(), page_sets=[letters(args.pages, {7: "已加开班次。"})]))
        timed("incremental, nothing changed", lambda: build_site(
            [], out, config=cfg, changed_ids=set(), page_sets=[letters(args.pages, {7: "已加开班次。"})]))
        print(f"one change / full build: {one / full:.3f}")


if __name__ == "__main__":
    with recording("bench_page_sets: service page sets"):
        main()
