"""Columns (栏目) and standalone pages (栏目单页) edited in the CMS reach the site through the build
queue, and the site then equals a full build of the same database."""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.build.jobs import build_from_database, run_pending
from cms.models import Column, PendingChange, StandalonePage
from content_models.models import Department, DisclosureDocument
from tests.test_site_incremental import tree

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def site_dir(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_BUILD_PLUGINS = []
    settings.GOVSITE_SERVICE_PAGES = False
    return settings.GOVSITE_SITE_DIR


@pytest.fixture()
def dept():
    from wagtail.models import Locale  # noqa: PLC0415 - tests: transactional tests flush migration data

    Locale.objects.get_or_create(language_code="zh-hans")
    dept = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001", sort_order=1)
    doc = DisclosureDocument.objects.create(
        source_id="fgj-1", department=dept, organ=dept.name, title="关于项目申报的通知", category="通知公告",
        topic="综合政务", published_at=timezone.make_aware(dt.datetime(2025, 3, 1, 9)), body="<p>正文</p>", live=False)
    doc.save_revision().publish()
    PendingChange.objects.all().delete()
    build_from_database(full=True)
    return dept


def equals_full_build(site_dir, tmp_path) -> None:
    full = tmp_path / "full"
    build_from_database(out=full, full=True)
    assert tree(site_dir) == tree(full)


def nav(html_path) -> list[tuple[str, str]]:
    doc = lxml.html.document_fromstring(html_path.read_text("utf-8"))
    return [(a.text_content(), a.get("href")) for a in doc.xpath("//nav[@class='main-nav']//a")]


def meta(html_path) -> dict[str, str]:
    doc = lxml.html.document_fromstring(html_path.read_text("utf-8"))
    return {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}


def test_a_column_edit_reaches_the_navigation_and_the_meta_tags(site_dir, tmp_path, dept):
    top = Column.objects.create(name="政务公开", column_type="信息公开", link="/catalog/", sort_order=1)
    notices = Column.objects.create(department=dept, name="通知公告", column_type="通知公告", category="通知公告",
                                    description="发改局通知公告", keywords="通知,公告", sort_order=1)
    assert PendingChange.objects.count() == 2
    run_pending()
    assert ("政务公开", "/catalog/") in nav(site_dir / "index.html")
    doc_page = site_dir / "fgj/2025/fgj-1.html"
    assert meta(doc_page)["ColumnDescription"] == "发改局通知公告"
    dept_nav = lxml.html.document_fromstring(doc_page.read_text("utf-8")).xpath("//nav[@class='dept-nav']//a/@href")
    assert "/fgj/c05/" in dept_nav
    equals_full_build(site_dir, tmp_path)

    notices.description = "发展和改革局的通知公告"
    notices.save()
    top.name = "信息公开"
    top.save()
    run_pending()
    assert meta(doc_page)["ColumnDescription"] == "发展和改革局的通知公告"
    assert ("信息公开", "/catalog/") in nav(site_dir / "list/index.html")
    assert not PendingChange.objects.exists()
    equals_full_build(site_dir, tmp_path)


def test_a_standalone_page_is_published_edited_and_withdrawn_incrementally(site_dir, tmp_path, dept):
    about = Column.objects.create(department=dept, name="机构职能", column_type="机构概况", description="机构职能",
                                  keywords="职能")
    run_pending()
    page = StandalonePage.objects.create(department=dept, column=about, slug="jgzn", title="机构职能",
                                         body="<p>负责全市发展改革工作。</p>", live=False)
    page.save_revision().publish()
    result = run_pending()
    out = site_dir / "fgj/jgzn/index.html"
    assert "负责全市发展改革工作" in out.read_text("utf-8")
    equals_full_build(site_dir, tmp_path)

    page.body = "<p>负责全市发展改革和价格工作。</p><script>alert(1)</script>"
    page.save_revision().publish()
    result = run_pending()
    assert not result["full"] and result["pages"] == 1
    text = out.read_text("utf-8")
    assert "价格工作" in text and "alert(1)" not in text
    assert meta(out)["ColumnType"] == "机构概况" and meta(out)["Url"].endswith("/fgj/jgzn/")
    equals_full_build(site_dir, tmp_path)

    page.refresh_from_db()
    page.unpublish()
    run_pending()
    assert not out.exists()
    equals_full_build(site_dir, tmp_path)


def test_a_standalone_page_cannot_take_a_generated_address(dept):
    for slug, site in (("list", None), ("fgj", None), ("c05", dept), ("2025", dept)):
        with pytest.raises(ValidationError):
            StandalonePage(department=site, slug=slug, title="页面").full_clean()
    StandalonePage(department=None, slug="gkzn", title="公开指南").full_clean()

