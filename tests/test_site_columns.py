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
from tests.helpers.browser import Chromium, StaticServer, chromium_available
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


def menu(html_path, kind: str = "main-nav") -> list[tuple[str, str]]:
    """The column menu a browser shows on the page: the site's shared menu file the page references
    (site.js puts it in place of the page's fixed links; ADR 0135)."""
    doc = lxml.html.document_fromstring(html_path.read_text("utf-8"))
    src = doc.xpath("//div[@class='site-nav']/@data-nav-src")[0]
    root = html_path
    while root.name != "site" and root.name != "full":
        root = root.parent
    shared = lxml.html.fragment_fromstring((root / src.lstrip("/")).read_text("utf-8"), create_parent="div")
    return [(a.text_content(), a.get("href")) for a in shared.xpath(f".//nav[@class='{kind}']//a")]


def nav(html_path) -> list[tuple[str, str]]:
    return menu(html_path)


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
    assert ("通知公告", "/fgj/c05/") in menu(doc_page, "dept-nav")
    page_nav = lxml.html.document_fromstring(doc_page.read_text("utf-8")).xpath("//nav[@class='main-nav']//a/@href")
    assert "/sitemap/" in page_nav and "/catalog/" in page_nav, "without JavaScript: the fixed links and 全部栏目"
    assert ("通知公告", "/fgj/c05/") in sitemap_links(site_dir)
    equals_full_build(site_dir, tmp_path)

    notices.description = "发展和改革局的通知公告"
    notices.save()
    top.name = "信息公开"
    top.save()
    result = run_pending()
    assert not result["full"]
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



def sitemap_links(site_dir) -> list[tuple[str, str]]:
    doc = lxml.html.document_fromstring((site_dir / "sitemap/index.html").read_text("utf-8"))
    return [(a.text_content(), a.get("href")) for a in doc.xpath("//main//a")]


def admin_save(client, column: Column | None, **fields) -> None:
    """Create or edit a column through the admin's form, as an editor does."""
    from django.urls import reverse  # noqa: PLC0415 - tests

    data = {"department": "", "parent": "", "name": "", "column_type": "其他", "description": "", "keywords": "",
            "category": "", "link": "", "in_nav": "on", "sort_order": "0", "stale_days": ""}
    if column is not None:
        data.update({
            "department": column.department_id or "", "parent": column.parent_id or "", "name": column.name,
            "column_type": column.column_type, "description": column.description, "keywords": column.keywords,
            "category": column.category, "link": column.link, "sort_order": column.sort_order,
            "stale_days": column.stale_days or ""})
        if not column.in_nav:
            data.pop("in_nav")
    data.update(fields)
    url = (reverse("wagtailsnippets_cms_column:edit", args=[column.pk]) if column is not None
           else reverse("wagtailsnippets_cms_column:add"))
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.fixture()
def big_dept(dept):
    """A department with documents in two categories and a second department, built in full."""
    other = Department.objects.create(slug="jyj", name="南安市教育局", organ_code="113505830002", sort_order=2)
    for n, (site, cat) in enumerate([(dept, "通知公告")] * 3 + [(dept, "政策文件")] * 3 + [(other, "通知公告")] * 3):
        doc = DisclosureDocument.objects.create(
            source_id=f"{site.slug}-{n + 10}", department=site, organ=site.name, title=f"文件{n}", category=cat,
            topic="综合政务", published_at=timezone.make_aware(dt.datetime(2025, 4, 1 + n, 9)), body="<p>正文</p>",
            live=False)
        doc.save_revision().publish()
    Column.objects.create(name="政务公开", column_type="信息公开", link="/catalog/", sort_order=1)
    Column.objects.create(department=dept, name="通知公告", column_type="通知公告", category="通知公告",
                          description="发改局通知公告", keywords="通知", sort_order=1)
    Column.objects.create(department=dept, name="政策文件", column_type="政策文件", category="政策文件",
                          description="发改局政策文件", keywords="政策", sort_order=2)
    PendingChange.objects.all().delete()
    build_from_database(full=True)
    return dept


def test_every_kind_of_column_edit_is_incremental_bounded_and_equals_a_full_build(
        site_dir, tmp_path, big_dept, admin_client):
    notices = Column.objects.get(department=big_dept, name="通知公告")
    policies = Column.objects.get(department=big_dept, name="政策文件")
    top = Column.objects.get(department=None)
    notice_page = site_dir / "fgj/2025/fgj-1.html"
    policy_page = site_dir / "fgj/2025/fgj-13.html"
    other_page = site_dir / "jyj/2025/jyj-16.html"
    pages_before = sum(1 for _ in site_dir.rglob("*.html"))
    menus = 1 + 2  # the portal's menu file and each department's

    def edit(**kw):
        before = {p: p.read_bytes() for p in (policy_page, other_page)}
        result = run_pending()
        assert not result["full"], kw
        assert not PendingChange.objects.exists()
        equals_full_build(site_dir, tmp_path)
        for p, data in before.items():
            if kw.get("untouched", True):
                assert p.read_bytes() == data, (p, kw)
        return result

    # Rename a department's category column: its documents and lists, the menus and the 网站地图.
    admin_save(admin_client, notices, name="通知")
    result = edit()
    assert meta(notice_page)["ColumnName"] == "通知" and ("通知", "/fgj/c05/") in menu(notice_page, "dept-nav")
    assert ("通知", "/fgj/c05/") in sitemap_links(site_dir)
    assert result["files"] <= menus + 1 + 4 + 2 * 3, result  # 网站地图; the column's 4 documents; 2 lists' pages
    assert result["files"] < pages_before / 2

    # Description and keywords: the column's pages only, not the menus.
    notices.refresh_from_db()
    admin_save(admin_client, notices, description="发展和改革局发布的通知", keywords="通知,公告")
    result = edit()
    assert (meta(notice_page)["ColumnDescription"], meta(notice_page)["ColumnKeywords"]) == (
        "发展和改革局发布的通知", "通知,公告")
    assert result["files"] <= 4 + 2 * 3, result

    # Reorder: the menus only.
    policies.refresh_from_db()
    admin_save(admin_client, policies, sort_order="0")
    result = edit()
    assert [name for name, _ in menu(notice_page, "dept-nav")][1:] == ["政策文件", "通知"]
    assert result["files"] <= menus + 1, result

    # Add a portal column linking a list: the menus, the 网站地图 and that list's pages (its tags).
    admin_save(admin_client, None, name="最新文件", column_type="信息公开", link="/list/", sort_order="2")
    result = edit()
    assert ("最新文件", "/list/") in menu(other_page) and ("最新文件", "/list/") in menu(site_dir / "index.html")
    assert meta(site_dir / "list/index.html")["ColumnName"] == "最新文件"
    assert result["files"] <= menus + 1 + 1, result

    # Remove a column: its documents fall back to the category's own column.
    from django.urls import reverse  # noqa: PLC0415 - tests

    response = admin_client.post(reverse("wagtailsnippets_cms_column:delete", args=[policies.pk]))
    assert response.status_code == 302
    result = edit(untouched=False)
    assert meta(policy_page)["ColumnDescription"] != "发改局政策文件"
    assert "政策文件" not in [name for name, _ in menu(notice_page, "dept-nav")]
    assert result["files"] <= menus + 1 + 3 + 2 * 3, result
    # the other department's pages were never rewritten by the edits of this one's columns
    top.refresh_from_db()
    admin_save(admin_client, top, name="信息公开")
    before = other_page.read_bytes()
    edit(untouched=False)
    assert other_page.read_bytes() == before and ("信息公开", "/catalog/") in menu(other_page)


def test_a_standalone_page_carries_all_fifteen_tags_and_the_identity_marks(settings, site_dir, dept):
    from tests.test_site_identity import ALL_TAGS, IDENTITY  # noqa: PLC0415 - tests: the one list of the 指引's tags

    settings.GOVSITE_IDENTITY = dict(IDENTITY)
    about = Column.objects.create(department=dept, name="机构职能", column_type="机构概况", description="本局机构职能",
                                  keywords="职能,机构")
    page = StandalonePage.objects.create(department=dept, column=about, slug="jgzn", title="机构职能",
                                         body="<p>负责全市发展改革工作。</p>", live=False)
    page.save_revision().publish()
    run_pending()
    out = site_dir / "fgj/jgzn/index.html"
    tags = meta(out)
    assert not [t for t in ALL_TAGS if not tags.get(t)], tags
    assert (tags["ColumnName"], tags["ColumnType"], tags["ColumnDescription"], tags["ColumnKeywords"]) == (
        "机构职能", "机构概况", "本局机构职能", "职能,机构")
    assert tags["ArticleTitle"] == "机构职能" and tags["Url"] == "https://www.nanan.gov.cn/fgj/jgzn/"
    footer = lxml.html.document_fromstring(out.read_text("utf-8")).xpath("//footer")[0]
    links = {a.text_content().strip() or a.xpath("string(.//img/@alt)"): a.get("href") for a in footer.iter("a")}
    assert links["党政机关网站标识"] == IDENTITY["conac_url"] and links["网站地图"] == "/sitemap/"
    assert links["闽ICP备05012345号-1"] and links["闽公网安备 35058302000123号"] and links["我为政府网站找错"]
    for value in ("主办单位：南安市人民政府办公室", "承办单位：南安市大数据服务中心", "网站标识码：3505830001"):
        assert value in footer.text_content()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)")
def test_the_browser_shows_the_editors_columns_and_without_javascript_the_fixed_links(site_dir, dept):
    Column.objects.create(name="政务公开", column_type="信息公开", link="/catalog/", sort_order=1)
    Column.objects.create(department=dept, name="通知公告", column_type="通知公告", category="通知公告",
                          description="发改局通知公告", keywords="通知", sort_order=1)
    run_pending()
    menu_js = "[...document.querySelectorAll('header nav a')].map(a => a.textContent + ' ' + a.getAttribute('href'))"
    with StaticServer(site_dir) as server, Chromium() as chromium:
        chromium.navigate(server.url + "/fgj/2025/fgj-1.html")
        chromium.wait("document.querySelector('.main-nav').textContent.includes('政务公开')")
        links = chromium.evaluate(menu_js)
        assert "政务公开 /catalog/" in links and "通知公告 /fgj/c05/" in links and "南安市发展和改革局 /fgj/" in links
        chromium.send("Emulation.setScriptExecutionDisabled", value=True)
        chromium.navigate(server.url + "/fgj/2025/fgj-1.html")
        links = chromium.evaluate(menu_js)
        chromium.send("Emulation.setScriptExecutionDisabled", value=False)
    assert "全部栏目 /sitemap/" in links and "信息公开目录 /catalog/" in links and "南安市发展和改革局 /fgj/" in links
    assert "政务公开 /catalog/" not in links
