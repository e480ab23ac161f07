"""``govsite inspect``: on a site with exactly one of every problem the checklist counts, each is
reported exactly once and links to the thing to fix; outside links only with ``--external``
(checked against a local HTTP server); the admin shows the report; an editor is warned about a
listed wrong word before publishing."""

from __future__ import annotations

import datetime as dt
import http.server
import threading

import orjson
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cms.build.jobs import build_from_database
from cms.build.schedule import tick
from cms.inspection.report import KINDS, latest
from cms.models import Column, PendingChange, StandalonePage, WordCheck
from content_models.models import Attachment, DisclosureDocument
from services.letters.models import Letter
from tests.helpers.wagtail import ensure_wagtail_roots
from tests.test_cms_admin import _edit_form_data, _fast_password_hasher, _url, make_world  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802
        self.send_response(200 if self.path == "/ok.html" else 404)
        self.end_headers()

    do_GET = do_HEAD  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture()
def outside_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def site_dir(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_BUILD_PLUGINS = []
    settings.GOVSITE_SERVICE_PAGES = False
    settings.WAGTAILADMIN_BASE_URL = "https://admin.example.gov.cn"
    return settings.GOVSITE_SITE_DIR


@pytest.fixture()
def world(outside_server):
    """One department, its columns and documents, with exactly one problem of each kind."""
    ensure_wagtail_roots()
    world = make_world()
    DisclosureDocument.objects.all().delete()
    fgj = world["fgj"]
    today = timezone.localdate()

    def doc(n: int, days_ago: int, **kw) -> DisclosureDocument:
        published = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(9)))
        fields = dict(source_id=f"fgj-{n}", department=fgj, organ=fgj.name, title=f"第{n}号通知", category="通知公告",
                      topic="综合政务", index_no=f"113505830001/2026-{n:05d}", published_at=published,
                      written=published.date() - dt.timedelta(days=1), live=True,
                      body=f'<p>正文，见<a href="/catalog/">目录</a>和<a href="{outside_server}/ok.html">外部</a>。</p>')
        fields.update(kw)
        return DisclosureDocument.objects.create(**fields)

    world["docs"] = {
        "fresh": doc(1, 20),
        "news": doc(2, 30, category="工作动态", title="工作动态一则"),
        "no_topic": doc(3, 25, topic="", title="缺少主题分类的通知"),
        "late": doc(4, 22, title="发布迟了的通知", written=today - dt.timedelta(days=22 + 70)),
        "dead_link": doc(5, 23, title="有坏链接的通知", body='<p>见<a href="/fgj/2020/none.html">旧文</a>。</p>'),
        "typo": doc(6, 24, title="有错别字的通知", body="<p>根据中华人民共合国有关规定。</p>"),
        "outside": doc(7, 26, title="外链失效的通知", body=f'<p><a href="{outside_server}/gone.html">外链</a></p>'),
        "no_file": doc(8, 27, title="附件缺失的通知"),
    }
    Attachment.objects.create(document=world["docs"]["no_file"], title="附件一", file="old/a1.doc")
    world["columns"] = {
        "notices": Column.objects.create(department=fgj, name="通知公告", column_type="通知公告", category="通知公告",
                                         description="通知公告", keywords="通知"),
        "news": Column.objects.create(department=fgj, name="工作动态", column_type="动态要闻", category="工作动态",
                                      description="工作动态", keywords="动态"),
        "empty": Column.objects.create(department=fgj, name="人事信息", column_type="人事信息", category="人事信息",
                                       description="人事信息", keywords="人事"),
        "about": Column.objects.create(department=fgj, name="机构概况", column_type="机构概况", description="机构",
                                       keywords="机构"),
    }
    page = StandalonePage.objects.create(department=fgj, column=world["columns"]["about"], slug="jgzn", title="机构职能",
                                         body="<p>负责发展改革工作。</p>", live=False)
    page.save_revision().publish()
    WordCheck.objects.create(wrong="中华人民共合国", correct="中华人民共和国", kind=WordCheck.Kind.SERIOUS)
    world["letter"] = Letter.objects.create(name="李明", phone="13800138000", subject="路灯不亮", text="请修路灯",
                                            accepted_on=today - dt.timedelta(days=40),
                                            deadline=today - dt.timedelta(days=10))
    Letter.objects.create(name="王芳", phone="13900139000", subject="咨询办事时间", text="请问几点上班",
                          deadline=today + dt.timedelta(days=5))
    build_from_database(full=True)
    PendingChange.objects.all().delete()
    return world


def edit_link(obj) -> str:
    meta = obj._meta
    return "https://admin.example.gov.cn" + reverse(f"wagtailsnippets_{meta.app_label}_{meta.model_name}:edit",
                                                    args=[obj.pk])


def run(*args) -> dict:
    from io import StringIO  # noqa: PLC0415 - tests

    out = StringIO()
    call_command("inspect", "--json", *args, stdout=out)
    return orjson.loads(out.getvalue())


def test_one_of_every_finding_is_reported_exactly_once(world):
    report = run()
    docs, columns = world["docs"], world["columns"]
    found = {(f["kind"], f["link"]) for f in report["findings"]}
    assert len(found) == len(report["findings"]), "a finding was reported twice"
    assert report["counts"] == {kind: 1 for kind in KINDS} | {"broken_link": 2}
    expected = {
        ("stale_column", edit_link(columns["news"])),
        ("empty_column", edit_link(columns["empty"])),
        ("home_stale", "https://www.nanan.gov.cn/"),
        ("late_disclosure", edit_link(docs["late"])),
        ("broken_link", edit_link(docs["dead_link"])),
        ("broken_link", edit_link(docs["no_file"])),
        ("missing_metadata", edit_link(docs["no_topic"])),
        ("word", edit_link(docs["typo"])),
    }
    assert expected <= found
    unanswered = [f for f in report["findings"] if f["kind"] == "unanswered"]
    assert world["letter"].number in unanswered[0]["subject"] and "路灯不亮" in unanswered[0]["detail"]
    assert report["home_latest"] == (timezone.localdate() - dt.timedelta(days=20)).isoformat()
    assert any("外部链接" in note for note in report["notes"])  # counted, not fetched


def test_outside_links_are_checked_with_external(world):
    report = run("--external")
    outside = [f for f in report["findings"] if f["kind"] == "broken_link" and "外部链接" in f["detail"]]
    assert [(f["link"], "gone.html" in f["detail"]) for f in outside] == [(edit_link(world["docs"]["outside"]), True)]


def test_the_report_reaches_the_admin_and_the_worker_runs_it_daily(client, world, settings):
    settings.GOVSITE_DAILY_HOUR = 0
    cache.clear()  # an earlier test's tick may have run today's daily jobs already
    assert "daily_report" in tick()
    report = latest()
    assert report is not None and len(report.findings) == 9
    client.force_login(world["carol"])  # a platform administrator
    html = client.get(reverse("govsite_inspection")).content.decode()
    assert "空白栏目（1）" in html and edit_link(world["columns"]["empty"]) in html
    client.force_login(world["alice"])  # a department editor does not see the whole site's report
    response = client.get(reverse("govsite_inspection"))
    assert response.status_code in (302, 403) and "空白栏目" not in response.content.decode()


def test_an_editor_is_warned_about_a_listed_word_before_publishing(client, world):
    doc = world["docs"]["fresh"]
    client.force_login(world["alice"])
    data = _edit_form_data(doc, title="关于中华人民共合国成立纪念活动的通知")
    response = client.post(_url("edit", doc.pk), data, follow=True)
    html = response.content.decode()
    assert "发布前请核对" in html and "应为“中华人民共和国”" in html
