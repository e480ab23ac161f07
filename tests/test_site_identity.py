"""Every page type carries the 《政府网站发展指引》 meta tags it has data for (all fifteen on a
document page) and the footer's identity marks (党政机关网站标识, ICP and 公安 filing numbers, 主办/承办,
contact, 网站标识码, 网站地图, 我为政府网站找错)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from cms.demo.sample import generate_sample
from site_generator.build import build_site
from site_generator.config import BuildConfig
from site_generator.meta_tags import meta_tags
from site_generator.pages import PageSet, PageSpec

IDENTITY = {
    "sponsor": "南安市人民政府办公室", "organizer": "南安市大数据服务中心", "phone": "0595-86383123",
    "email": "zwgk@nanan.gov.cn", "address": "南安市溪美街道成功街1号",
    "icp": "闽ICP备05012345号-1", "police": "闽公网安备 35058302000123号",
    "conac_url": "https://bszs.conac.cn/sitename?method=show&id=0123456789ABCDEF",
}
PORTAL = {"name": "中国·南安", "domain": "www.nanan.gov.cn", "base_url": "https://www.nanan.gov.cn",
          "site_id_code": "3505830001", "identity": IDENTITY}
SITE_TAGS = ("SiteName", "SiteDomain", "SiteIDCode")
COLUMN_TAGS = ("ColumnName", "ColumnType", "ColumnDescription", "ColumnKeywords")
ALL_TAGS = SITE_TAGS + COLUMN_TAGS + ("ArticleTitle", "PubDate", "ContentSource", "Keywords", "Author",
                                      "Description", "Image", "Url")
PAGE = '{% extends "base.html" %}{% block content %}<h1>{{ heading }}</h1>{% endblock %}\n'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("identity")
    templates = tmp / "module"
    (templates / "demo").mkdir(parents=True)
    (templates / "demo" / "page.html").write_text(PAGE, "utf-8")
    records = [r for r in generate_sample(docs=40, seed=11) if "op" not in r]
    site = next(r for r in records if r.get("category") == "工作动态")["site"]
    columns = [
        {"site": "", "name": "政务公开", "type": "信息公开", "description": "南安市政府信息公开", "keywords": "政务公开,信息公开",
         "url": "/catalog/", "children": [
             {"name": "政策文件", "type": "政策文件", "description": "全市政策文件", "keywords": "政策,文件",
              "category": "政策文件", "url": "/category/c01/"}]},
        {"site": site, "name": "工作动态", "type": "动态要闻", "description": "本部门工作动态", "keywords": "动态",
         "category": "工作动态", "url": f"/{site}/c06/"},
    ]
    cfg = BuildConfig(portal=dict(PORTAL), page_size=5, processes=1, plugins=[], columns=columns,
                      template_dirs=[templates])
    pages = PageSet("demo", [PageSpec("demo/index.html", "demo/page.html",
                                      {"heading": "互动页", "meta": {"title": "互动页", "column": "政民互动"}})])
    out = tmp / "site"
    build_site(iter(records), out, full=True, config=cfg, page_sets=[pages])
    return out, [r for r in records if r["site"] == site] + [r for r in records if r["site"] != site]


def meta_of(path: Path) -> dict[str, str]:
    doc = lxml.html.document_fromstring(path.read_text("utf-8"))
    return {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}


def page_types(out: Path, records) -> dict[str, Path]:
    rec = records[0]
    doc = next(out.glob(f"{rec['site']}/*/{rec['id']}.html"))
    return {
        "home": out / "index.html", "document": doc, "latest": out / "list/index.html",
        "latest page": next(out.glob("list/page/*.html")), "department": out / rec["site"] / "index.html",
        "department category": next(out.glob(f"{rec['site']}/c*/index.html")),
        "category": next(out.glob("category/*/index.html")), "topic": next(out.glob("topic/*/index.html")),
        "year": next(out.glob("year/*/index.html")), "catalog": out / "catalog/index.html",
        "site map": out / "sitemap/index.html", "search": out / "search/index.html", "404": out / "404.html",
        "contributed": out / "demo/index.html",
    }


def test_document_pages_carry_all_fifteen_tags(built):
    out, records = built
    for rec in records:
        path = next(out.glob(f"{rec['site']}/*/{rec['id']}.html"))
        meta = meta_of(path)
        missing = [t for t in ALL_TAGS if not meta.get(t)]
        assert not missing, f"{path.name}: {missing}"
        assert meta["ArticleTitle"] == rec["title"]
        assert meta["Url"] == f"https://www.nanan.gov.cn/{path.relative_to(out).as_posix()}"
        assert meta["Author"] == meta["ContentSource"] == (rec.get("organ") or meta["Author"])
        assert meta["Image"].startswith("https://www.nanan.gov.cn/")


def test_a_document_takes_its_columns_tags(built):
    out, records = built
    site = records[0]["site"]
    news = next(r for r in records if r["site"] == site and r.get("category") == "工作动态")
    meta = meta_of(next(out.glob(f"{site}/*/{news['id']}.html")))
    assert (meta["ColumnName"], meta["ColumnType"], meta["ColumnDescription"], meta["ColumnKeywords"]) == (
        "工作动态", "动态要闻", "本部门工作动态", "动态")
    policy = next(r for r in records if r.get("category") == "政策文件")  # the portal's column for the category
    meta = meta_of(next(out.glob(f"{policy['site']}/*/{policy['id']}.html")))
    assert (meta["ColumnType"], meta["ColumnDescription"]) == ("政策文件", "全市政策文件")


def test_every_page_type_has_site_column_and_url_tags(built):
    out, records = built
    for kind, path in page_types(out, records).items():
        meta = meta_of(path)
        assert [meta.get(t) for t in SITE_TAGS] == ["中国·南安", "www.nanan.gov.cn", "3505830001"], kind
        assert meta.get("ColumnName"), kind
        if kind != "404":  # the 404 page has no address of its own
            assert meta.get("Url", "").startswith("https://www.nanan.gov.cn/"), kind
            assert meta.get("ColumnType") and meta.get("ColumnDescription") and meta.get("ColumnKeywords"), kind
        assert meta.get("Image"), kind
    assert meta_of(out / "catalog/index.html")["ColumnDescription"] == "南安市政府信息公开"  # the editor's column


def test_every_page_type_has_the_identity_marks(built):
    out, records = built
    for kind, path in page_types(out, records).items():
        doc = lxml.html.document_fromstring(path.read_text("utf-8"))
        footer = doc.xpath("//footer")[0]
        text = footer.text_content()
        links = {a.text_content().strip() or a.xpath("string(.//img/@alt)"): a.get("href") for a in footer.iter("a")}
        assert links["党政机关网站标识"] == IDENTITY["conac_url"], kind
        assert links["闽ICP备05012345号-1"] == "https://beian.miit.gov.cn/", kind
        assert links["闽公网安备 35058302000123号"] == "https://beian.mps.gov.cn/#/query/webSearch?code=35058302000123"
        assert links["网站地图"] == "/sitemap/", kind
        assert links["我为政府网站找错"].startswith("https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=3505830001")
        for value in ("主办单位：南安市人民政府办公室", "承办单位：南安市大数据服务中心", "0595-86383123",
                      "zwgk@nanan.gov.cn", "网站标识码：3505830001"):
            assert value in text, (kind, value)
        assert doc.xpath("//link[@rel='icon']/@href"), kind


def test_site_map_lists_columns_and_departments(built):
    out, records = built
    doc = lxml.html.document_fromstring((out / "sitemap/index.html").read_text("utf-8"))
    hrefs = set(doc.xpath("//main//a/@href"))
    assert {"/catalog/", "/category/c01/", f"/{records[0]['site']}/", f"/{records[0]['site']}/c06/"} <= hrefs


def test_error_report_link_is_configurable_and_marks_without_data_are_left_out(tmp_path):
    records = [r for r in generate_sample(docs=3, seed=2) if "op" not in r]
    portal = {**PORTAL, "identity": {"error_report_url": "https://jiucuo.example.org/report"}}
    out = tmp_path / "site"
    build_site(iter(records), out, full=True, config=BuildConfig(portal=portal, processes=1, plugins=[]))
    footer = lxml.html.document_fromstring((out / "index.html").read_text("utf-8")).xpath("//footer")[0]
    hrefs = [a.get("href") for a in footer.iter("a")]
    assert "https://jiucuo.example.org/report" in hrefs
    assert not footer.xpath(".//*[@class='conac-mark']") and "ICP" not in footer.text_content()
    assert "主办单位：中国·南安" in footer.text_content()  # the portal when no sponsor is set


def test_meta_tags_are_escaped_values_in_the_guideline_order():
    """A value with quotes, angle brackets and ampersands stays one attribute (escaped as the
    templates' own expressions are); tags without a value are left out; no meta, no tags."""
    title = '关于印发<b>"南安市2024年"</b>&重点工作的通知'
    meta = {"article_title": title, "column": "政策文件", "image": "", "canonical": "/zfb/2024/1.html"}
    html = str(meta_tags(meta, {"base_url": "https://www.nanan.gov.cn"}))
    fragment = lxml.html.fragment_fromstring(f"<div>{html}</div>")
    assert [(m.get("name"), m.get("content")) for m in fragment.xpath("//meta")] == [
        ("ColumnName", "政策文件"), ("ArticleTitle", title)]
    assert fragment.xpath("//link[@rel='canonical']/@href") == ["https://www.nanan.gov.cn/zfb/2024/1.html"]
    assert "&#34;南安市2024年&#34;" in html and "<b>" not in html
    assert meta_tags(None, {"base_url": "https://www.nanan.gov.cn"}) == ""
