"""Pages or snippets for 200,000 documents? Times both storage paths in one run (prints figures).

    .venv/bin/python bench/bench_pages_vs_snippets.py [--pages 300] [--docs 5000]

Wagtail pages: ``parent.add_child()`` alone, and with a revision and ``publish()`` (what an
import through the page API would do). Snippets: the project's bulk importer
(``cms.exchange.importer.import_records``) over the project's own sample documents, which
also cleans HTML and writes attachments. All into a fresh SQLite database in a temp dir.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from results import recording

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300, help="pages created per page variant")
    parser.add_argument("--docs", type=int, default=5000, help="documents imported as snippets")
    args = parser.parse_args()

    os.environ["GOVSITE_DATA_DIR"] = tempfile.mkdtemp(prefix="govsite-bench-pages-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import orjson
    from wagtail.models import Page

    from cms.demo.sample import generate_sample
    from cms.exchange.importer import import_records

    home = Page.get_first_root_node().get_children().first()

    t0 = time.perf_counter()
    for i in range(args.pages):
        home.add_child(instance=Page(title=f"文件 {i}", slug=f"add-child-{i}"))
    add_child_rate = args.pages / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for i in range(args.pages):
        page = home.add_child(instance=Page(title=f"文件 {i}", slug=f"published-{i}", live=False))
        page.save_revision().publish()
    publish_rate = args.pages / (time.perf_counter() - t0)

    lines = [orjson.dumps(r) for r in generate_sample(docs=args.docs, seed=1)]
    summary = import_records(lines)
    snippet_rate = summary.created / summary.seconds

    print(f"{'Wagtail pages, add_child':<46}{add_child_rate:8.0f} pages/s ({args.pages} pages)")
    print(f"{'Wagtail pages, add_child + revision + publish':<46}{publish_rate:8.0f} pages/s ({args.pages} pages)")
    print(f"{'snippets, bulk import (clean + attachments)':<46}{snippet_rate:8.0f} documents/s ({summary.created} documents)")
    for name, rate in (("add_child", add_child_rate), ("revision + publish", publish_rate), ("snippet import", snippet_rate)):
        print(f"  200,000 documents by {name:<20}{200_000 / rate / 60:7.1f} minutes")


if __name__ == "__main__":
    with recording("bench_pages_vs_snippets: Wagtail pages against snippets"):
        main()
