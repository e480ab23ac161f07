"""Benchmark: the 办事指南 pages of a large catalogue added to a large site's full build.

    GOVSITE_CORPUS_TOOL=/work/shared/corpus/govcorpus.py \
        .venv/bin/python bench/bench_guides.py --docs 200000 --items 5000

Sets up a temporary SQLite database (``GOVSITE_DATA_DIR`` in a temp dir), imports ``--items``
service items through the catalogue's JSONL import (20 departments, 8 topics, 8 audiences, 4
scenarios, 3 materials each), reads the page sets as the build queue does (``cms.build.jobs``),
and runs the full build of the ``--docs`` documents of the shared corpus twice: with the other
modules' page sets only, and with the guides' as well (best of ``--repeat`` runs each,
alternated, so the machine's load hits both alike). Prints both times and the growth (target:
under 10 %), then an incremental build after one item changed (pages rendered, seconds).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_build import ensure_corpus  # noqa: E402
from results import recording  # noqa: E402

TOPICS = ["教育", "社保", "医疗", "住房", "就业", "纳税", "婚育", "交通"]
AUDIENCES = ["学生", "农民", "退役军人", "残疾人", "低保人员", "进城务工人员", "老年人", "企业"]
SCENARIOS = ["企业开办", "交通出行", "证件办理", "社区服务"]


def item_records(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append({
            "code": f"B{i:06d}", "name": f"服务事项第{i}号（{TOPICS[i % 8]}类）", "department": f"d{i % 20:02d}",
            "kind": ["行政许可", "行政确认", "行政给付", "公共服务"][i % 4], "legal_basis": "《中华人民共和国行政许可法》" * 3,
            "conditions": "符合条件的申请人。" * 10, "statutory_days": 20, "promised_days": 5 + i % 10, "fees": "不收费",
            "steps": ["申请", "受理", "审核", "决定", "送达"], "place": "市民服务中心", "hours": "工作日 9:00–17:00",
            "phone": "0595-86300000", "online_url": "https://zwfw.example.gov.cn/",
            "topics": [TOPICS[i % 8], TOPICS[(i * 3) % 8]], "audiences": [AUDIENCES[i % 8]],
            "scenarios": [SCENARIOS[i % 4]] if i % 5 == 0 else [],
            "materials": [{"name": f"材料{m}", "originals": 1, "copies": m} for m in range(3)],
        })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=200000)
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "govsite-bench")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(args.docs, args.seed, args.workdir)

    with tempfile.TemporaryDirectory(prefix="bench-guides-") as tmp:
        tmp = Path(tmp)
        os.environ.update(GOVSITE_DATA_DIR=str(tmp / "data"), DJANGO_SETTINGS_MODULE="cms.settings",
                          GOVSITE_SITE_DIR=str(tmp / "data" / "site"))
        os.environ.pop("DATABASE_URL", None)
        import django  # noqa: PLC0415 - settings come from the environment set just above

        django.setup()
        import orjson  # noqa: PLC0415
        from django.core.management import call_command  # noqa: PLC0415

        from cms.build.config import from_settings  # noqa: PLC0415
        from cms.build.jobs import page_sets  # noqa: PLC0415
        from content_models.models import Department  # noqa: PLC0415
        from services.guides.exchange import import_lines  # noqa: PLC0415
        from services.guides.models import ServiceItem  # noqa: PLC0415
        from site_generator.build import build_site  # noqa: PLC0415

        call_command("migrate", verbosity=0)
        for d in range(20):
            Department.objects.create(slug=f"d{d:02d}", name=f"第{d}部门", sort_order=d)
        t0 = time.perf_counter()
        result = import_lines((i, orjson.dumps(r)) for i, r in enumerate(item_records(args.items), 1))
        print(f"catalogue: {result.as_text()} in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        sets = page_sets()
        guides = [s for s in sets if s.name == "guides"]
        others = [s for s in sets if s.name != "guides"]
        guide_pages = sum(len(list(s.pages)) for s in guides)
        print(f"page sets read in {time.perf_counter() - t0:.1f} s: guides {guide_pages} pages")

        def records():
            with open(corpus, "rb") as fh:
                for line in fh:
                    if line.strip():
                        yield orjson.loads(line)

        cfg = from_settings(plugins=[], processes=args.processes)  # the modules' template dirs, as a build has them
        times: dict[str, list[float]] = {"documents only": [], "documents + guides": []}
        for run in range(args.repeat):
            for label, chosen in (("documents only", others), ("documents + guides", others + guides)):
                out = tmp / f"site-{run}-{len(chosen)}"
                t0 = time.perf_counter()
                r = build_site(records(), out, full=True, config=cfg, state_dir=tmp / f"state-{run}-{len(chosen)}",
                               page_sets=chosen)
                seconds = time.perf_counter() - t0
                times[label].append(seconds)
                print(f"full build, {label:<20} {seconds:8.1f} s   {r.documents} documents, "
                      f"{r.pages_rendered} contributed pages, {r.files_written} files")
        base, withg = min(times["documents only"]), min(times["documents + guides"])
        if args.docs == 0:
            print(f"the {guide_pages} guide pages alone: {withg - base:.1f} s (best of {args.repeat}); compare with a "
                  "full build of the documents for the growth they cause")
            base = 0
        growth = 100.0 * (withg - base) / base if base else float("nan")
        if base:
            print(f"full build grows by {growth:.1f} % with {args.items} items ({guide_pages} guide pages) "
                  f"— target under 10 %: {'met' if growth < 10 else 'NOT met'}")

        item = ServiceItem.objects.get(code="B000007")
        item.name = item.name + "（更名）"
        item.save()
        t0 = time.perf_counter()
        sets = page_sets()
        read = time.perf_counter() - t0
        out = tmp / f"site-{args.repeat - 1}-{len(others) + len(guides)}"
        r = build_site([], out, config=cfg, state_dir=tmp / f"state-{args.repeat - 1}-{len(others) + len(guides)}",
                       changed_ids=set(), page_sets=sets)
        print(f"one item renamed: page sets read {read:.2f} s, incremental build {r.seconds:.2f} s, "
              f"{r.pages_rendered} pages rendered, {r.files_written} files written")


if __name__ == "__main__":
    # --docs 0: the guide pages alone (what they add to any full build), a quick run to repeat
    alone = "--docs" in sys.argv and sys.argv[sys.argv.index("--docs") + 1] == "0"
    with recording("bench_guides: guide pages alone" if alone else "bench_guides: catalogue pages in the full build"):
        main()
