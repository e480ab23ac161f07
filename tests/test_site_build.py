"""The static site: every output kind exists and is well-formed, links resolve, pages are safe
and accessible, and the plugin/theme contracts other areas rely on hold."""

from html.parser import HTMLParser
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from cms.demo.sample import generate_sample
from site_generator.build import build_site
from site_generator.config import BuildConfig
from site_generator.plugins import BasePlugin

SCHEMAS = Path(__file__).parent / "schemas"
ATOM = "{http://www.w3.org/2005/Atom}"
PORTAL = {"name": "中国·南安", "domain": "www.nanan.gov.cn", "base_url": "https://www.nanan.gov.cn",
          "site_id_code": "3505830001"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def small_config(**kw) -> BuildConfig:
    cfg = BuildConfig(portal=dict(PORTAL), page_size=5, feed_size=10, sitemap_max=40, processes=2, plugins=[])
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


@pytest.fixture(scope="module")
def records():
    return list(generate_sample(docs=150, seed=3))


@pytest.fixture(scope="module")
def site(tmp_path_factory, records):
    out = tmp_path_factory.mktemp("built") / "site"
    result = build_site(iter(records), out, full=True, config=small_config())
    assert result.documents == len(records)
    return out


class _Balance(HTMLParser):
    """Fails on unclosed or mismatched elements (lxml's HTML parser silently repairs them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def html_files(site: Path):
    return sorted(p for p in site.rglob("*.html"))


def parse_html(path: Path):
    text = path.read_text("utf-8")
    return lxml.html.document_fromstring(text), text


def test_every_output_kind_exists(site, records):
    rec = records[0]
    year = rec["published"][:4]
    expected = [
        f"{rec['site']}/{year}/{rec['id']}.html", "index.html", "catalog/index.html", "404.html", "robots.txt",
        "sitemap.xml", "sitemaps/pages-1.xml", "list/index.html", "list/page/1.html", "list/atom.xml",
        f"{rec['site']}/index.html", f"{rec['site']}/atom.xml",
        f"year/{year}/index.html",
    ]
    for rel in expected:
        assert (site / rel).is_file(), rel
    assert list(site.glob("category/*/index.html")) and list(site.glob("topic/*/index.html"))
    assert not list(site.glob("category/*/atom.xml")), "feeds for the site and each department (ADR 0161)"
    assert not list(site.rglob("rss.xml")), "one feed format, Atom (ADR 0156)"
    assert list(site.glob("static/css/site.*.css")) and list(site.glob("static/js/site.*.js"))
    assert not (site / "static/css/site.css").exists(), "assets get content-hashed names"
    assert sum(1 for _ in site.rglob("*.html")) > len(records)


def test_html_is_well_formed_and_accessible(site):
    for path in html_files(site):
        doc, text = parse_html(path)
        checker = _Balance()
        checker.feed(text)
        assert not checker.errors and not checker.stack, (path, checker.errors[:3], checker.stack[:3])
        assert doc.get("lang") == "zh-Hans"
        assert doc.xpath("count(//main[@id='main'])") == 1, path
        assert doc.xpath("//a[@class='skip-link']/@href") == ["#main"]
        assert len(doc.xpath("//h1")) == 1, path
        levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        for a, b in zip(levels, levels[1:], strict=False):
            assert b <= a + 1, f"heading jumps from h{a} to h{b} in {path}"
        assert all(img.get("alt") is not None for img in doc.iter("img")), path
        assert doc.xpath("//form[@role='search' and @action='/search/']//input[@name='q']"), path
        for src in doc.xpath("//script/@src | //link[@rel='stylesheet']/@href | //img/@src"):
            assert not src.startswith(("http:", "https:", "//")), f"external asset {src} in {path}"


def test_document_page_has_disclosure_metadata_and_crawler_tags(site, records):
    rec = next(r for r in records if r.get("doc_no") and r.get("attachments"))
    doc, _ = parse_html(site / rec["site"] / rec["published"][:4] / f"{rec['id']}.html")
    heads = [th.text_content() for th in doc.xpath("//table[@class='meta-table']//th")]
    for label in ("索引号", "发布机构", "发文字号", "主题分类", "成文日期", "发布日期", "有效性"):
        assert label in heads
    assert rec["doc_no"] in doc.text_content()
    meta = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert meta["SiteName"] == PORTAL["name"] and meta["SiteDomain"] == PORTAL["domain"]
    assert meta["SiteIDCode"] == PORTAL["site_id_code"]
    assert meta["ArticleTitle"] == rec["title"]
    assert meta["PubDate"].startswith(rec["published"][:10])
    assert meta["ContentSource"] == rec["organ"]
    for name in ("ColumnName", "Keywords", "Description"):
        assert name in meta
    info = doc.xpath("//section[@class='attachments']//li")[0].text_content()
    # the sample's files are not in the build's file store: listed with their type and 暂缺, not linked
    assert rec["attachments"][0]["title"] in info and "暂缺" in info
    assert not doc.xpath("//section[@class='attachments']//a")


def test_legacy_body_is_cleaned(site, records):
    for rec in records:
        text = (site / rec["site"] / rec["published"][:4] / f"{rec['id']}.html").read_text("utf-8")
        body = text.split('<div class="article-body">', 1)[1].split("</div>\n", 1)[0]
        assert "<script" not in body and "<iframe" not in body and "javascript:" not in body.lower()
        assert " onclick=" not in body.lower() and " onerror=" not in body.lower()


def test_policy_and_interpretation_link_each_other(site, records):
    interp = next(r for r in records if r.get("interprets"))
    policy = next(r for r in records if r["id"] == interp["interprets"])
    ipath = f"/{interp['site']}/{interp['published'][:4]}/{interp['id']}.html"
    ppath = f"/{policy['site']}/{policy['published'][:4]}/{policy['id']}.html"
    pdoc, _ = parse_html(site / ppath.lstrip("/"))
    assert ipath in pdoc.xpath("//section[@class='interpretations']//a/@href")
    idoc, _ = parse_html(site / ipath.lstrip("/"))
    assert ppath in idoc.xpath("//p[@class='related-policy']/a/@href")


def test_expired_document_keeps_page_with_banner(site, records):
    old = next(r for r in records if r.get("validity") in ("失效", "废止") and r.get("replaced_by"))
    doc, _ = parse_html(site / old["site"] / old["published"][:4] / f"{old['id']}.html")
    banner = doc.xpath("//div[contains(@class,'notice-invalid')]")[0]
    assert old["validity"] in banner.text_content()
    new = next(r for r in records if r["id"] == old["replaced_by"])
    assert banner.xpath(".//a/@href") == [f"/{new['site']}/{new['published'][:4]}/{new['id']}.html"]


def test_internal_links_resolve(site):
    missing = set()
    for path in html_files(site):
        doc, _ = parse_html(path)
        # attachments are files of the CMS, not outputs of the build
        for href in doc.xpath("//a[not(ancestor::section[@class='attachments'])]/@href | //link/@href | //script/@src"):
            if not href.startswith("/") or href.startswith(("//", "/files/", "/search/")):
                continue
            target = site / href.split("#")[0].lstrip("/")
            if href.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                missing.add((str(path.relative_to(site)), href))
    assert not missing, sorted(missing)[:10]


def _check_atom_schematron(root):
    """The two Schematron rules libxml2's RELAX NG does not enforce (RFC 4287)."""
    entries = root.findall(f"{ATOM}entry")
    if root.find(f"{ATOM}author") is None:
        assert all(e.find(f"{ATOM}author") is not None for e in entries), "feed or every entry needs an author"
    for e in entries:
        if e.find(f"{ATOM}content") is None:
            assert e.xpath("a:link[@rel='alternate' or not(@rel)]", namespaces={"a": ATOM[1:-1]}), \
                "entry without content needs an alternate link"


def test_feeds_parse_and_validate(site):
    rng = etree.RelaxNG(etree.parse(str(SCHEMAS / "atom.rng")))
    atoms = sorted(site.rglob("atom.xml"))
    assert len(atoms) >= 3  # the site's, each department's, each category's
    for path in atoms:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert len(parsed.entries) <= 10
        for e in parsed.entries:
            assert e.link.startswith(PORTAL["base_url"] + "/")
            assert e.get("published_parsed") or e.get("updated_parsed")
    for path in atoms:
        root = etree.parse(str(path))
        assert rng.validate(root), (path, rng.error_log.last_error)
        _check_atom_schematron(root.getroot())
    # newest first, latest N only
    parsed = feedparser.parse((site / "list/atom.xml").read_bytes())
    dates = [e.published_parsed for e in parsed.entries]
    assert dates == sorted(dates, reverse=True) and len(dates) == 10


def test_sitemaps_validate_and_split(site):
    index_schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "siteindex.xsd")))
    map_schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "sitemap.xsd")))
    index = etree.parse(str(site / "sitemap.xml"))
    assert index_schema.validate(index), index_schema.error_log.last_error
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = index.xpath("//s:sitemap/s:loc/text()", namespaces=ns)
    urls = []
    for loc in locs:
        assert loc.startswith(PORTAL["base_url"] + "/sitemaps/")
        part = etree.parse(str(site / loc[len(PORTAL["base_url"]) + 1:]))
        assert map_schema.validate(part), map_schema.error_log.last_error
        got = part.xpath("//s:url/s:loc/text()", namespaces=ns)
        assert len(got) <= 40  # sitemap_max in this build
        urls += got
    doc_urls = [u for u in urls if u.endswith(".html")]
    assert len(doc_urls) == len(set(doc_urls)) == 150
    assert any(loc.endswith("-2.xml") for loc in locs), "a department over sitemap_max is split"
    assert (site / "robots.txt").read_text().strip().endswith(f"Sitemap: {PORTAL['base_url']}/sitemap.xml")
    # the index names its parts without a date: it changes when a part comes or goes (ADR 0156);
    # every URL of a part carries its own lastmod
    assert index.xpath("//s:lastmod", namespaces=ns) == []
    assert all(u.xpath("s:lastmod", namespaces=ns) for u in part.xpath("//s:url", namespaces=ns)
               if u.xpath("s:loc/text()", namespaces=ns)[0].endswith(".html"))


def test_pagination_numbers_pages_from_the_oldest(site):
    doc, _ = parse_html(site / "list/index.html")
    # no total on a list's index page but a department's: a withdrawal then leaves it as it is (ADR 0161)
    assert "共 150 条" not in doc.text_content() and not doc.xpath("//p[@class='list-count']")
    # 150 items, 5 a page: pages 1..30; page 1 holds the oldest five, the index the newest five.
    assert (site / "list/page/30.html").is_file() and not (site / "list/page/31.html").exists()
    assert doc.xpath("//nav[@class='pager']//a[@rel='next']/@href") == ["/list/page/30.html"]
    first, _ = parse_html(site / "list/page/1.html")
    assert first.xpath("//nav[@class='pager']//a[@rel='prev']/@href") == ["/list/page/2.html"]
    assert len(first.xpath("//ul[@class='entries']/li")) == 5


def test_catalog_tree_links_every_list_and_departments_show_counts(site, records):
    """The 目录 names each department and the categories it has documents in; the counts are on
    the department's page (ADR 0156: a new document then leaves the catalogue as it is)."""
    doc, _ = parse_html(site / "catalog/index.html")
    by_site: dict[str, dict[str, int]] = {}
    for r in records:
        cats = by_site.setdefault(r["site"], {})
        cats[r["category"]] = cats.get(r["category"], 0) + 1
    top = doc.xpath("//ul[@class='catalog-tree']/li")
    assert len(top) == len(by_site)
    for li in top:
        href = li.xpath("./a/@href")[0]
        cats = by_site[href.strip("/")]
        assert sorted(li.xpath("./ul/li/a/text()")) == sorted(cats)
        dept, _ = parse_html(site / href.strip("/") / "index.html")
        assert f"共 {sum(cats.values())} 条" in dept.text_content()
        shown = {a.text_content(): int(a.getnext().text_content().strip("（）"))
                 for a in dept.xpath("//nav[@class='sub-columns']//li/a")}
        assert shown == cats


def test_titles_are_escaped(tmp_path):
    rec = dict(next(generate_sample(docs=1, seed=9)))
    rec["title"] = '<script>alert("x")</script>通知'
    rec["summary"] = "<b>概述</b>"
    out = tmp_path / "site"
    build_site([rec], out, full=True, config=small_config(processes=1))
    page = (out / rec["site"] / rec["published"][:4] / f"{rec['id']}.html").read_text("utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;通知" in page
    assert "<script>alert" not in (out / "list/index.html").read_text("utf-8")
    assert not feedparser.parse((out / "list/atom.xml").read_bytes()).bozo


def test_urls_are_stable_and_safe(tmp_path):
    recs = [dict(r) for r in generate_sample(docs=3, seed=4)]
    recs[0]["id"] = "../../etc/passwd 文件"
    out = tmp_path / "site"
    build_site(recs, out, full=True, config=small_config(processes=1))
    pages = sorted(p.relative_to(out).as_posix() for p in out.glob("*/*/*.html") if p.parts[-3] != "page")
    assert all(".." not in p and " " not in p for p in pages)
    out2 = tmp_path / "site2"
    build_site(recs[:1], out2, full=True, config=small_config(processes=1))
    only = [p.relative_to(out2).as_posix() for p in out2.glob(f"{recs[0]['site']}/*/*.html")]
    assert only and only[0] in pages  # same URL whatever else is on the site


def test_plugins_are_objects_not_names(tmp_path, records):
    """The generator never imports a plugin by name: a module name in the config is refused."""
    with pytest.raises(TypeError, match="构建插件对象"):
        build_site(iter(records[:3]), tmp_path / "site", full=True,
                   config=small_config(plugins=["search_index.plugin"], processes=1))
    assert not (tmp_path / "site").exists()


def test_plugin_contract_and_standalone_pages(tmp_path, records):
    seen = {}

    class TestPlugin(BasePlugin):
        name = "test"

        def on_render(self, ctx):
            seen["render"] = (ctx.full, len(list(ctx.records)), set(ctx.removed_ids), ctx.site["name"])
            assert ctx.out_dir.is_dir() and ctx.state_dir.name == "plugins"
            ctx.write_file("plugin/data.json", b'{"ok": true}')
            html = ctx.render("plugin.html", {"meta": {"title": "插件页"}, "message": "<插件>"})
            ctx.write_file("plugin/index.html", html.encode())
            seen["asset"] = ctx.asset_url("css/site.css")
            ctx.progress("插件已写入 2 个文件")

        def on_live(self, ctx):
            seen["live"] = list(ctx.changed_paths)

    override = tmp_path / "override"
    (override / "pages").mkdir(parents=True)
    (override / "plugin.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>插件</h1><p>{{ message }}</p>{% endblock %}', "utf-8")
    (override / "pages" / "about.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>关于本站</h1>{% endblock %}', "utf-8")
    site_name = records[0]["site"]
    (override / "sites" / site_name).mkdir(parents=True)
    (override / "sites" / site_name / "document.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1 class="dept-override">{{ doc.title }}</h1>{% endblock %}',
        "utf-8")
    out = tmp_path / "site"
    progress: list[str] = []
    build_site(iter(records[:20]), out, full=True,
               config=small_config(plugins=[TestPlugin()], override_dir=override, processes=1, progress=progress.append))
    assert "插件已写入 2 个文件" in progress  # a plugin's progress report reaches whoever runs the build
    assert seen["render"] == (True, 20, set(), PORTAL["name"])
    assert (out / "plugin/data.json").read_bytes() == b'{"ok": true}'
    plugin_page = (out / "plugin/index.html").read_text("utf-8")
    assert "&lt;插件&gt;" in plugin_page and 'lang="zh-Hans"' in plugin_page
    assert seen["asset"].startswith("/static/css/site.") and (out / seen["asset"].lstrip("/")).is_file()
    assert "plugin/data.json" in seen["live"] and "index.html" in seen["live"]
    assert "关于本站" in (out / "about/index.html").read_text("utf-8")
    own = [r for r in records[:20] if r["site"] == site_name][0]
    other = [r for r in records[:20] if r["site"] != site_name][0]
    assert 'class="dept-override"' in (out / own["site"] / own["published"][:4] / f"{own['id']}.html").read_text()
    assert 'dept-override' not in (out / other["site"] / other["published"][:4] / f"{other['id']}.html").read_text()
