"""Admin listing/search and documents API timings at scale (prints figures; not a test).

    .venv/bin/python bench/bench_cms.py --docs 200000 [--data-dir /tmp/cms-bench]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cmsbench .venv/bin/python bench/bench_cms.py --docs 200000

Fills a scratch database with the project's sample generator and importer (once; reused when
the data dir / database already has the documents), then times the requests an editor and an
API client make, through Django's test client (full middleware and template rendering).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from results import recording

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "govsite-cms-bench"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jsonl", help="import this JSONL file (e.g. made by the shared corpus generator) instead of the sample")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE first (as govsite demo does after loading)")
    args = parser.parse_args()
    os.environ["GOVSITE_DATA_DIR"] = args.data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", interactive=False, verbosity=0)

    import orjson

    from cms.admin import permissions
    from cms.demo.sample import generate_sample
    from cms.exchange.importer import import_records
    from content_models.models import Department, DisclosureDocument

    have = DisclosureDocument.objects.count()
    if have < args.docs:
        t = time.perf_counter()
        if args.jsonl:
            with open(args.jsonl, "rb") as fh:
                summary = import_records(line for line in fh if line.strip())
        else:
            summary = import_records(orjson.dumps(r) for r in generate_sample(docs=args.docs, seed=7))
        print(f"imported {summary.created + summary.updated} documents in {time.perf_counter() - t:.0f} s")
    permissions.setup_departments()
    if args.analyze:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"ANALYZE took {time.perf_counter() - t:.1f} s")
    total = DisclosureDocument.objects.count()
    print(f"database: {connection.vendor}, documents: {total}, departments: {Department.objects.count()}")

    from django.contrib.auth import get_user_model

    User = get_user_model()
    root = User.objects.filter(username="bench-root").first() or User.objects.create_superuser("bench-root", password="x")
    dept = Department.objects.order_by("slug").first()
    editor = User.objects.filter(username="bench-editor").first() or User.objects.create_user("bench-editor", password="x")
    editor.groups.add(dept.editors)

    sample_doc_no = DisclosureDocument.objects.exclude(doc_no="").values_list("doc_no", flat=True).first()
    legacy = sample_doc_no.replace("〔", "[").replace("〕", "]")
    policy_id = (
        DisclosureDocument.objects.filter(interpretations__isnull=False, live=True).values_list("pk", flat=True).first()
        or DisclosureDocument.objects.filter(live=True).values_list("pk", flat=True).first()
    )

    admin_list = "/admin/snippets/content_models/disclosuredocument/"
    cases = [
        ("admin list, superuser", root, admin_list, {}),
        ("admin list, department editor", editor, admin_list, {}),
        ("admin search 乡村振兴 (superuser)", root, admin_list, {"q": "乡村振兴"}),
        ("admin search 营商环境 (superuser)", root, admin_list, {"q": "营商环境"}),
        (f"admin search {legacy} (superuser)", root, admin_list, {"q": legacy}),
        ("admin search 乡村振兴 (editor)", editor, admin_list, {"q": "乡村振兴"}),
        ("admin search, no hit (superuser)", root, admin_list, {"q": "不存在的词语组合"}),
        ("admin filter department+category", root, admin_list, {"department": dept.pk, "category": "政策文件"}),
        ("API list", None, "/api/documents", {}),
        ("API list site+year", None, "/api/documents", {"site": dept.slug, "year": "2024"}),
        ("API list topic+validity page 50", None, "/api/documents", {"topic": "综合政务", "validity": "有效", "page": "50"}),
        ("API list validity=失效", None, "/api/documents", {"validity": "失效"}),
        ("API list category+year", None, "/api/documents", {"category": "政策文件", "year": "2023"}),
        ("API detail with interpretations", None, f"/api/documents/{policy_id}", {}),
    ]
    print(f"{'request':52} {'median ms':>10} {'max ms':>8} {'queries':>8} {'status':>6}")
    for label, user, url, params in cases:
        client = Client()
        if user is not None:
            client.force_login(user)
        client.get(url, params)  # warm up
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                response = client.get(url, params)
                times.append((time.perf_counter() - t) * 1000)
        print(f"{label:52} {statistics.median(times):10.0f} {max(times):8.0f} {len(queries):8d} {response.status_code:6d}")


if __name__ == "__main__":
    with recording("bench_cms: admin and API requests"):
        main()
