"""Benchmark: the 办事指南 pages of a large catalogue added to a large site's full build.

    GOVSITE_CORPUS_TOOL=/work/shared/corpus/govcorpus.py \
        .venv/bin/python bench/bench_guides.py --docs 200000 --items 5000

Sets up a temporary SQLite database (``GOVSITE_DATA_DIR`` in a temp dir), imports ``--items``
service items through the catalogue's JSONL import (20 departments, 8 topics, 8 audiences, 4
scenarios, 3 materials each), reads the page sets as the build queue does (``cms.build.jobs``),
and runs the full build of the ``--docs`` documents of the shared corpus twice: with the other
modules' page sets only, and with the guides' as well (best of ``--repeat`` runs each,
alternated, so the machine's load hits both alike), the search index plugin on as in the CMS.
Prints both times, wall and CPU (this process and its worker processes), and the growth (target:
under 10 %), then an incremental build after one item changed (pages rendered, seconds).
The catalogue is imported once into ``--workdir`` (``--prepare-only`` does just that, outside
the benchmark lock); ``--corpus`` takes a ready corpus file.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
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


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the build's render and tokenizer pools)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=200000)
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--corpus", type=Path, help="a corpus JSONL to use (default: made in --workdir)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "govsite-bench")
    ap.add_argument("--prepare-only", action="store_true",
                    help="import the catalogue into --workdir and stop (run it outside the benchmark lock)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus or ensure_corpus(args.docs, args.seed, args.workdir)
    data = args.workdir / f"guides-data-{args.items}"  # kept: the catalogue is imported once

    with tempfile.TemporaryDirectory(prefix="bench-guides-", dir=args.workdir) as tmp:
        tmp = Path(tmp)
        os.environ.update(GOVSITE_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="cms.settings",
                          GOVSITE_SITE_DIR=str(tmp / "site"))
        os.environ.pop("DATABASE_URL", None)
        import django  # noqa: PLC0415 - settings come from the environment set just above

        django.setup()
        import orjson  # noqa: PLC0415
        from django.core.management import call_command  # noqa: PLC0415

        from cms.build.config import from_settings  # noqa: PLC0415
        from cms.build.jobs import page_sets  # noqa: PLC0415
        from content_models.models import Department  # noqa: PLC0415
        from search_index.plugin import SearchIndexPlugin  # noqa: PLC0415
        from services.guides.exchange import import_lines  # noqa: PLC0415
        from services.guides.models import ServiceItem  # noqa: PLC0415
        from site_generator.build import build_site  # noqa: PLC0415

        call_command("migrate", verbosity=0)
        if ServiceItem.objects.count() != args.items:
            for d in range(20):
                Department.objects.get_or_create(slug=f"d{d:02d}", defaults={"name": f"第{d}部门", "sort_order": d})
            t0 = time.perf_counter()
            result = import_lines((i, orjson.dumps(r)) for i, r in enumerate(item_records(args.items), 1))
            print(f"catalogue: {result.as_text()} in {time.perf_counter() - t0:.1f} s")
        else:
            print(f"catalogue: {args.items} items already in {data}")
        if args.prepare_only:
            return

        def sets_of(with_guides: bool):
            return [s for s in page_sets() if with_guides or s.name != "guides"]

        t0 = time.perf_counter()
        guide_pages = sum(len(list(s.pages)) for s in sets_of(True) if s.name == "guides")
        print(f"page sets read in {time.perf_counter() - t0:.1f} s: guides {guide_pages} pages")

        def records():
            with open(corpus, "rb") as fh:
                for line in fh:
                    if line.strip():
                        yield orjson.loads(line)

        # The path a build takes from the queue: the page sets read, the modules' template dirs,
        # the search index plugin on (the guides' search records are indexed with the documents).
        cfg = from_settings(plugins=[SearchIndexPlugin()], processes=args.processes)
        times: dict[str, list[tuple[float, float]]] = {"documents only": [], "documents + guides": []}
        for _run in range(args.repeat):
            for label, with_guides in (("documents only", False), ("documents + guides", True)):
                out, state = tmp / f"site-{int(with_guides)}", tmp / f"state-{int(with_guides)}"
                for old in (out, state, tmp / f".site-{int(with_guides)}.build"):
                    shutil.rmtree(old, ignore_errors=True)
                    if old.is_symlink():
                        old.unlink()
                t0, c0 = time.perf_counter(), cpu_seconds()
                r = build_site(records(), out, full=True, config=cfg, state_dir=state, page_sets=sets_of(with_guides))
                seconds, cpu = time.perf_counter() - t0, cpu_seconds() - c0
                times[label].append((seconds, cpu))
                print(f"full build, {label:<20} {seconds:8.1f} s wall, {cpu:8.1f} s CPU   {r.documents} documents, "
                      f"{r.pages_rendered} contributed pages, {r.files_written} files (load {os.getloadavg()[0]:.1f})",
                      flush=True)
                # Where the wall time went: the guides' own phase ("pages") and the search index
                # ("plugins") against the rest, which a loaded machine moves by more than they cost.
                print("    phases (s wall): " + ", ".join(f"{k} {v:.1f}" for k, v in r.timings.items()), flush=True)
        base_wall, base_cpu = (min(t[i] for t in times["documents only"]) for i in (0, 1))
        with_wall, with_cpu = (min(t[i] for t in times["documents + guides"]) for i in (0, 1))
        if args.docs == 0:
            print(f"the {guide_pages} guide pages alone: {with_wall - base_wall:.1f} s wall, {with_cpu - base_cpu:.1f} s "
                  f"CPU (best of {args.repeat}); compare with a full build of the documents for the growth they cause")
        else:
            grow_wall = 100.0 * (with_wall - base_wall) / base_wall
            grow_cpu = 100.0 * (with_cpu - base_cpu) / base_cpu
            print(f"full build grows by {grow_wall:.1f} % wall, {grow_cpu:.1f} % CPU with {args.items} items "
                  f"({guide_pages} guide pages, searchable) — target under 10 %: "
                  f"{'met' if max(grow_wall, grow_cpu) < 10 else 'NOT met'}")

        item = ServiceItem.objects.get(code="B000007")
        item.name = item.name + "（更名）"
        item.save()
        t0 = time.perf_counter()
        sets = page_sets()
        read = time.perf_counter() - t0
        r = build_site([], tmp / "site-1", config=cfg, state_dir=tmp / "state-1", changed_ids=set(), page_sets=sets)
        print(f"one item renamed: page sets read {read:.2f} s, incremental build {r.seconds:.2f} s, "
              f"{r.pages_rendered} pages rendered, {r.files_written} files written")


if __name__ == "__main__":
    # --docs 0: the guide pages alone (what they add to any full build), a quick run to repeat
    alone = "--docs" in sys.argv and sys.argv[sys.argv.index("--docs") + 1] == "0"
    if "--prepare-only" in sys.argv:  # no figures: nothing to record
        main()
    else:
        with recording("bench_guides: guide pages alone" if alone else "bench_guides: catalogue pages in the full build"):
            main()
