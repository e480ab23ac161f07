"""A publish in Wagtail reaches the static site through the job queue; the built site is served."""

import datetime as dt
import time

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cms.build import jobs
from cms.build.jobs import build_from_database
from cms.build.tasks import TASK_PATH
from cms.demo.sample import generate_sample
from content_models.models import Department, DisclosureDocument

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def site_dir(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_BUILD_PLUGINS = []
    return settings.GOVSITE_SITE_DIR


@pytest.fixture()
def dept():
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code="zh-hans")  # transactional tests flush migration data
    return Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001", sort_order=1)


def draft(dept, n: int, **kw) -> DisclosureDocument:
    fields = dict(
        source_id=f"fgj-{n}", department=dept, organ=dept.name, title=f"关于第{n}批项目的通知",
        published_at=timezone.make_aware(dt.datetime(2025, 3, n, 9, 0)), category="通知公告", topic="综合政务",
        body="<p>正文</p>", live=False,
    )
    fields.update(kw)
    return DisclosureDocument.objects.create(**fields)


def publish(doc: DisclosureDocument) -> None:
    doc.save_revision().publish()


def waiting_tasks() -> int:
    return DBTaskResult.objects.ready().filter(task_path=TASK_PATH, backend_name="builds").count()


def run_worker() -> None:
    call_command("db_worker", "--batch", "--backend", "builds", "--queue-name", "builds", "--no-startup-delay",
                 "--no-reload", verbosity=0)


def page(site_dir, doc) -> "pathlib.Path":  # noqa: F821
    return site_dir / "fgj" / "2025" / f"{doc.source_id}.html"


def test_publish_unpublish_delete_reach_the_site_through_the_queue(site_dir, dept):
    first = draft(dept, 1)
    publish(first)
    assert waiting_tasks() == 1
    run_worker()
    assert first.title in page(site_dir, first).read_text("utf-8")
    assert waiting_tasks() == 0

    # A burst of publishes coalesces into one waiting task and one build.
    docs = [draft(dept, n) for n in (2, 3, 4)]
    for d in docs:
        publish(d)
    assert waiting_tasks() == 1
    run_worker()
    for d in docs:
        assert page(site_dir, d).is_file()
    assert docs[-1].title in (site_dir / "list/index.html").read_text("utf-8")

    # Edit (a new published revision), unpublish, delete.
    docs[0].title = "修改后的通知标题"
    publish(docs[0])
    docs[1].refresh_from_db()
    docs[1].unpublish()
    DisclosureDocument.objects.get(pk=docs[2].pk).delete()
    run_worker()
    assert "修改后的通知标题" in page(site_dir, docs[0]).read_text("utf-8")
    assert not page(site_dir, docs[1]).exists() and not page(site_dir, docs[2]).exists()
    listing = (site_dir / "fgj/index.html").read_text("utf-8")
    assert docs[1].title not in listing and docs[2].title not in listing


def test_a_list_page_an_editor_fills_is_sealed_by_the_workers_next_build(site_dir, dept):
    """An editor's build writes the same files whether a list's newest page fills up or not: the
    index page shows the whole open tail, and the worker's next build seals it (ADR 0161)."""
    docs = [draft(dept, n) for n in range(1, 20)]  # 19: one short of a page (20)
    for d in docs:
        publish(d)
    assert jobs.run_pending()["full"]
    newest = draft(dept, 20)
    publish(newest)
    result = jobs.run_pending()
    assert not result["full"] and result["follow_up"], result
    assert not (site_dir / "fgj/page/1.html").exists()
    for lst in ("list/index.html", "fgj/index.html"):
        shown = (site_dir / lst).read_text("utf-8")
        assert all(d.title in shown for d in [*docs, newest]), lst  # every document on a page

    sealed = jobs.run_pending()  # what the task enqueues after a follow_up: the worker's own build
    assert sealed["maintenance"] and not sealed["follow_up"], sealed
    first = (site_dir / "fgj/page/1.html").read_text("utf-8")
    assert all(d.title in first for d in [*docs, newest])
    assert 'href="/fgj/page/1.html"' in (site_dir / "fgj/index.html").read_text("utf-8")
    assert jobs.run_pending() == {"documents": 0, "files": 0}  # nothing left to do


def test_rolled_back_publish_enqueues_nothing(dept):
    doc = draft(dept, 5)
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(doc)
        raise RuntimeError("rollback")
    assert waiting_tasks() == 0


def test_worker_thread_builds_within_seconds(site_dir, dept):
    from cms.build.worker import start_worker_thread

    thread = start_worker_thread(interval=0.1)
    try:
        doc = draft(dept, 6)
        publish(doc)
        deadline = time.monotonic() + 90  # generous: CI machines may be busy
        while not page(site_dir, doc).is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert page(site_dir, doc).is_file()
    finally:
        thread.worker.running = False
        thread.join(timeout=120)  # let a running build finish: it holds a DB connection
        assert not thread.is_alive()


def test_built_site_is_served(client, site_dir, dept):
    doc = draft(dept, 7, live=True)
    build_from_database(full=True)
    home = client.get("/")
    assert home.status_code == 200 and home["Content-Type"].startswith("text/html")
    assert "南安市发展和改革局" in b"".join(home.streaming_content).decode()
    got = client.get(f"/fgj/2025/{doc.source_id}.html")
    assert got.status_code == 200 and doc.title in b"".join(got.streaming_content).decode()
    assert client.get("/list/atom.xml")["Content-Type"].startswith("application/atom+xml")
    assert client.get("/sitemap.xml")["Content-Type"].startswith("application/xml")
    missing = client.get("/no/such/page.html")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    assert client.get("/fgj").status_code == 301
    assert client.get("/../../etc/passwd").status_code == 404
    assert client.get("/admin/").status_code == 302  # the admin stays at /admin/


def test_build_site_command_from_jsonl(tmp_path, capsys):
    records = list(generate_sample(docs=40, seed=2))
    src = tmp_path / "export.jsonl"
    lines = [orjson.dumps(r) for r in records] + [orjson.dumps({"op": "withdraw", "id": records[0]["id"]})]
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out" / "site"
    call_command("build_site", "--from-jsonl", str(src), "--out", str(out), "--processes", "1")
    assert "全量生成完成：39 个文件" in capsys.readouterr().out
    first = records[0]
    assert not (out / first["site"] / first["published"][:4] / f"{first['id']}.html").exists()
    second = records[1]
    assert (out / second["site"] / second["published"][:4] / f"{second['id']}.html").is_file()
    call_command("build_site", "--from-jsonl", str(src), "--out", str(out))
    assert "增量生成完成" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"\n', "utf-8")
    with pytest.raises(CommandError, match="第 1 行不是有效的 JSON"):
        call_command("build_site", "--from-jsonl", str(bad), "--out", str(out))
