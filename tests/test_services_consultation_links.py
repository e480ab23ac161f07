"""A consultation's draft and final policy link back to it from their own document pages.

Linked both ways: the consultation page links the draft and (with the report) the final policy;
the draft's page links the consultation, with its state, and the 采纳情况 report once published;
the final policy's page links both once the report is published. Every change reaches those
document pages through the build queue (the worker runs an incremental build), and the site the
queue leaves equals a full build of the same database; unlinking or deleting removes the links.
"""

import datetime as dt

import lxml.html
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cms.build.jobs import build_from_database
from cms.build.tasks import TASK_PATH
from cms.service_modules import document_link
from content_models.models import Department, DisclosureDocument
from services.consultations.models import Consultation
from tests.helpers.wagtail import ensure_wagtail_roots, interaction_site
from tests.test_site_incremental import tree
from tests.test_site_queue import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture()
def site_dir(settings, tmp_path):
    return interaction_site(settings, tmp_path)


@pytest.fixture()
def dept():
    ensure_wagtail_roots()
    return Department.objects.create(slug="zjj", name="南安市住房和城乡建设局", organ_code="113505830002", sort_order=1)


def published(dept, n: int, title: str) -> DisclosureDocument:
    doc = DisclosureDocument.objects.create(
        source_id=f"zjj-{n}", department=dept, organ=dept.name, title=title, body="<p>正文</p>", live=False,
        published_at=timezone.make_aware(dt.datetime(2026, 3, n, 9, 0)), category="通知公告", topic="综合政务")
    doc.save_revision().publish()
    doc.refresh_from_db()
    return doc


def related(site_dir, doc) -> list[tuple[str, str, str]]:
    """The related links a document's page shows: (kind, title, url)."""
    html = lxml.html.document_fromstring((site_dir / document_link(doc)["url"].lstrip("/")).read_text("utf-8"))
    return [(li.findtext("span[@class='related-kind']") or "", li.find("a").text_content(), li.find("a").get("href"))
            for li in html.xpath("//section[@class='related-links']//li")]


def build_through_the_queue() -> None:
    """What happens after a save: the worker runs the queued build, an incremental one."""
    run_worker()
    last = DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("-enqueued_at").first()
    assert last.status == "SUCCESSFUL" and last.return_value["full"] is False, last.return_value


def assert_equals_full_build(site_dir, tmp_path) -> None:
    full = tmp_path / f"full-{len(list(tmp_path.iterdir()))}"
    build_from_database(out=full, full=True)
    assert tree(site_dir) == tree(full)


def test_draft_and_final_policy_pages_link_the_consultation_through_the_queue(site_dir, dept, tmp_path, client):
    draft = published(dept, 1, "城市绿地管理办法（征求意见稿）")
    final = published(dept, 2, "城市绿地管理办法")
    run_worker()  # the first build: a full one
    assert related(site_dir, draft) == [] and related(site_dir, final) == []

    # opened on the draft: the draft's page links the consultation, with its state
    today = timezone.localdate()
    c = Consultation(title="关于《城市绿地管理办法（征求意见稿）》公开征求意见", department=dept, draft_document=draft,
                     start_date=today - dt.timedelta(days=1), end_date=today + dt.timedelta(days=3))
    c.full_clean()
    c.save()
    build_through_the_queue()
    consultation = ("意见征集：", c.title, f"/consultations/{c.number}/")
    assert related(site_dir, draft) == [consultation]
    assert "征集中" in (site_dir / document_link(draft)["url"].lstrip("/")).read_text("utf-8")
    assert related(site_dir, final) == []
    assert_equals_full_build(site_dir, tmp_path)

    # the end passes and the closing refresh falls due: the draft's page says it has ended
    closing = DBTaskResult.objects.filter(task_path="services.site.refresh_site_pages", run_after__gt=timezone.now())
    assert closing.count() == 1
    Consultation.objects.filter(pk=c.pk).update(start_date=today - dt.timedelta(days=5),
                                                end_date=today - dt.timedelta(days=1))
    closing.update(run_after=timezone.now())
    run_worker()  # the due refresh: it queues the build of the pages and of the draft's page
    build_through_the_queue()
    draft_page = (site_dir / document_link(draft)["url"].lstrip("/")).read_text("utf-8")
    assert "已结束" in draft_page and "征集中" not in draft_page
    assert_equals_full_build(site_dir, tmp_path)

    # the 采纳情况 report is published with the final policy: both pages link the consultation and
    # the report, and the documents API gives the same links
    c.refresh_from_db()
    c.final_policy = final
    c.feedback_published = True
    c.feedback_summary = "共收到意见 0 条。"
    c.full_clean()
    c.save()
    build_through_the_queue()
    report = ("意见采纳情况：", f"{c.title} 意见采纳情况", f"/consultations/{c.number}/feedback/")
    assert related(site_dir, draft) == [consultation, report]
    assert related(site_dir, final) == [consultation, report]
    assert document_link(final)["url"] in (site_dir / f"consultations/{c.number}/feedback/index.html").read_text("utf-8")
    api = client.get(f"/api/documents/{final.pk}").json()["related_links"]
    assert [(f"{link['kind']}：", link["title"], link["url"]) for link in api] == [consultation, report]
    assert_equals_full_build(site_dir, tmp_path)

    # the draft is unlinked (the text given instead): its page no longer links the consultation
    c.draft_document = None
    c.draft_text = "草案全文"
    c.full_clean()
    c.save()
    build_through_the_queue()
    assert related(site_dir, draft) == []
    assert related(site_dir, final) == [consultation, report]
    assert client.get(f"/api/documents/{draft.pk}").json()["related_links"] == []
    assert_equals_full_build(site_dir, tmp_path)

    # the consultation is deleted: the final policy's page loses its links too
    c.delete()
    build_through_the_queue()
    assert related(site_dir, final) == []
    assert_equals_full_build(site_dir, tmp_path)
