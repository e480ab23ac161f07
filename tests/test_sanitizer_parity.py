"""One sanitizer (issue 12 step 3, issue 13 item 5): the same dirty body published through an
import, an admin save or ``build_site --from-jsonl`` gives the same page, and nothing dangerous
or Word markup text reaches any published file (pages, feeds, the search index), on full and
incremental builds alike."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Locale

from cms.admin.forms import document_edit_handler
from cms.build import jobs
from cms.exchange.importer import import_records
from content_models.models import Department, DisclosureDocument
from content_models.sanitizer import clean_html, public_html
from search_index.query import Query, SearchIndex

# Each case hides markers where nothing may be published: script text, an iframe's fallback
# text, handlers, javascript:/data: URLs, Word's <xml> islands (bare and in conditional comments).
DIRTY = {
    "script": '<p>正文一</p><script>alert("MARKSCRIPT")</script><SCRIPT>MARKSCRIPTUPPER()</SCRIPT>',
    "iframe": '<p>正文二</p><iframe src="https://evil.example/MARKIFRAMESRC">MARKIFRAMETEXT</iframe>',
    "handlers": '<p onclick="MARKHANDLER()" onmouseover="MARKHOVER()">正文三</p>'
                '<img src="/uploads/a.png" alt="图" onerror="MARKONERROR()">',
    "js_urls": '<a href="javascript:MARKJSURL()">打印</a><a href="JaVaScRiPt:MARKJSCASE()">再打印</a>'
               '<a href="jav&#x09;ascript:MARKJSTAB()">三</a><a href=" javascript:MARKJSSPACE()">四</a>',
    "data_urls": '<a href="data:text/html;base64,MARKDATAHREF">下载</a><img src="data:image/png;base64,MARKDATAIMG">',
    "word": '<!--[if gte mso 9]><xml><w:WordDocument><w:View>MARKWORDCOMMENT</w:View></w:WordDocument></xml>'
            '<![endif]--><xml><o:DocumentProperties><o:Author>MARKWORDXML</o:Author></o:DocumentProperties></xml>'
            '<p class="MsoNormal" style="mso-fareast-font-family:MARKWORDSTYLE">第一条 为规范管理</p><o:p></o:p>',
    "styles": '<style>.MARKSTYLESHEET{color:red}</style><p style="color:MARKINLINE">红字</p>',
    "players": '<object data="MARKOBJECT.swf"><param name="movie" value="MARKPARAM"></object><embed src="MARKEMBED.swf">'
               '<noscript>MARKNOSCRIPT</noscript><template>MARKTEMPLATE</template>',
    "svg_and_forms": '<svg onload="MARKSVG()"><script>MARKSVGSCRIPT</script></svg>'
                     '<form action="/MARKFORM"><input name="MARKINPUT"></form>'
                     '<meta http-equiv="refresh" content="0;url=/MARKMETA"><base href="https://evil.example/MARKBASE">',
    "wagtail_refs": '<p data-block-key="k1">见<a linktype="page" id="1">相关页面</a>与'
                    '<a id="2" linktype="document">附表</a></p><embed embedtype="image" id="3" format="fullwidth" alt="图片"/>',
    "structure": '<h1>一、总体要求</h1><p>　　正文段落<a href="https://www.nanan.gov.cn/zwgk/1.htm" title="说明">链接</a></p>'
                 '<ol type="a" start="2"><li>甲</li></ol><table><tr><td colspan="2">格</td></tr></table>',
}
MARKERS = sorted(set(re.findall(r"MARK[A-Z]+", "".join(DIRTY.values()))))
BODY = re.compile(r'<div class="article-body">\n(.*?)\n</div>', re.S)


def _record(case: str, *, prefix: str = "imp", **extra) -> dict:
    return {
        "id": f"{prefix}-{case.replace('_', '-')}", "site": "fgj", "organ": "南安市发展和改革局",
        "title": f"{prefix} 净化测试 {case}", "published": "2025-03-01T09:00:00+08:00",
        "category": "通知公告", "body_html": DIRTY[case], **extra,
    }


def _published_files(root: Path):
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield path, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def assert_nothing_dangerous_published(root: Path) -> None:
    """No marker in any file (gzip'd search files unpacked), and no dangerous markup in any body."""
    leaks = {}
    for path, data in _published_files(root):
        text = data.decode("utf-8", "replace").lower()
        found = [m for m in MARKERS if m.lower() in text]
        if found:
            leaks[str(path.relative_to(root))] = found
        if path.suffix == ".html":
            for body in BODY.findall(data.decode("utf-8", "replace")):
                lowered = body.lower()
                for bad in ("<script", "<iframe", "<xml", "<o:", "<embed", "<object", "<style", "mso-",
                            "javascript:", "data:", "<h1", "linktype", "data-block-key"):
                    assert bad not in lowered, (path, bad, body)
                assert not re.search(r"\son\w+\s*=", lowered), (path, body)
    assert leaks == {}
    index = SearchIndex(root)
    for marker in MARKERS:
        assert index.search(Query(q=marker.lower())).results == [], marker


def _bodies(root: Path) -> dict[str, str]:
    """Article bodies of the document pages, by the page's title."""
    out = {}
    for path in root.glob("fgj/2025/*.html"):
        html = path.read_text("utf-8")
        title = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()
        out[title] = BODY.search(html).group(1)
    return out


@pytest.fixture()
def site(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin"]
    # The admin's editor, as a client that does not run Draftail sends it: raw HTML in the form.
    settings.WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "django.forms.Textarea"}}
    return settings.GOVSITE_SITE_DIR


def _admin_publish(user, dept: Department, case: str) -> DisclosureDocument:
    """Create and publish a document as the admin's create view does: its form (the rich-text widget
    built now, under the raw-HTML editor setting), then a revision that is published."""
    data = {
        "title": f"admin 净化测试 {case}", "department": str(dept.pk), "organ": dept.name, "doc_no": "",
        "index_no": "", "written": "", "published_at": "2025-03-01 09:00", "category": "通知公告",
        "topic": "", "validity": "", "keywords": "", "summary": "", "body": DIRTY[case], "interprets": "",
        "replaced_by": "", "attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0", "attachments-MAX_NUM_FORMS": "1000",
    }
    form_class = document_edit_handler.bind_to_model(DisclosureDocument).get_form_class()
    form = form_class(data, instance=DisclosureDocument(), for_user=user)
    assert form.is_valid(), form.errors
    doc = form.save()
    doc.save_revision(user=user).publish(user=user)
    doc.refresh_from_db()
    return doc


@pytest.mark.django_db
def test_import_admin_save_and_from_jsonl_publish_the_same_clean_body(site, tmp_path):
    dept = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001")
    user = get_user_model().objects.create_superuser("root", password="x")
    records = [_record(case) for case in DIRTY]
    import_records([orjson.dumps(r) for r in records])
    for case in DIRTY:
        doc = _admin_publish(user, dept, case)
        assert doc.live and doc.body == clean_html(DIRTY[case])  # stored form, as an import stores it
        assert doc.latest_revision.content["body"] == doc.body  # the revision too (preview, history)
    jsonl = tmp_path / "export.jsonl"
    jsonl.write_bytes(b"\n".join(orjson.dumps(dict(r, title=r["title"].replace("imp", "jsonl"))) for r in records))

    call_command("build_site", "--full", verbosity=0)
    jsonl_site = tmp_path / "jsonl" / "site"
    call_command("build_site", "--full", "--from-jsonl", str(jsonl), "--out", str(jsonl_site), verbosity=0)

    from_db, from_jsonl = _bodies(site), _bodies(jsonl_site)
    for case, dirty in DIRTY.items():
        expected = public_html(dirty)
        assert from_db[f"imp 净化测试 {case}"] == expected, case
        assert from_db[f"admin 净化测试 {case}"] == expected, case
        assert from_jsonl[f"jsonl 净化测试 {case}"] == expected, case
    # What the rules keep: structure, links (rel added), the first paragraph's ideographic indent;
    # the page title is the only <h1>.
    assert from_db["imp 净化测试 structure"] == (
        '<h2>一、总体要求</h2><p>　　正文段落<a href="https://www.nanan.gov.cn/zwgk/1.htm" title="说明" '
        'rel="noopener noreferrer">链接</a></p><ol type="a" start="2"><li>甲</li></ol>'
        '<table><tbody><tr><td colspan="2">格</td></tr></tbody></table>'
    )
    assert "第一条 为规范管理" in from_db["imp 净化测试 word"] and "相关页面" in from_db["imp 净化测试 wagtail_refs"]
    assert_nothing_dangerous_published(site)
    assert_nothing_dangerous_published(jsonl_site)


@pytest.mark.django_db(transaction=True)  # the importer queues its changes once a batch commits
def test_incremental_builds_publish_nothing_dangerous(site, tmp_path):
    Locale.objects.get_or_create(language_code="zh-hans")  # transactional tests flush migration data
    Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001")
    policy = _record("word", category="政策文件")
    interpretation = {**_record("script", prefix="interp"), "interprets": policy["id"], "category": "政策解读"}
    import_records([orjson.dumps(policy), orjson.dumps(interpretation)])
    call_command("build_site", "--full", verbosity=0)
    assert_nothing_dangerous_published(site)

    # The queue's targeted build: a changed interpretation re-renders its policy, read back by id.
    for case in ("iframe", "handlers", "players"):
        import_records([orjson.dumps(_record(case))])
    import_records([orjson.dumps(dict(interpretation, title="解读（修订）", body_html=DIRTY["svg_and_forms"]))])
    result = jobs.run_pending()
    assert result["full"] is False and result["documents"] == 4
    assert "解读（修订）" in (site / "fgj/2025/imp-word.html").read_text("utf-8")  # the policy page was rewritten
    assert_nothing_dangerous_published(site)

    # build_site --from-jsonl without --full: the changed records of the file are found by their hash.
    jsonl = tmp_path / "export.jsonl"
    base = [_record(case, prefix="file") for case in ("script", "js_urls")]
    # (the bodies the build's former copy of the rules leaked: Word's <xml> text, an iframe's text)
    jsonl.write_bytes(b"\n".join(orjson.dumps(r) for r in base))
    out = tmp_path / "jsonl" / "site"
    call_command("build_site", "--full", "--from-jsonl", str(jsonl), "--out", str(out), verbosity=0)
    changed = [dict(base[0], body_html=DIRTY["iframe"]), _record("word", prefix="file")]
    jsonl.write_bytes(b"\n".join(orjson.dumps(r) for r in [*changed, base[1]]))
    call_command("build_site", "--from-jsonl", str(jsonl), "--out", str(out), verbosity=0)
    assert "正文二" in (out / "fgj/2025/file-script.html").read_text("utf-8")
    assert_nothing_dangerous_published(out)


@pytest.mark.parametrize("case", sorted(DIRTY))
def test_the_published_form_of_the_stored_form_is_the_published_form(case):
    dirty = DIRTY[case]
    assert public_html(clean_html(dirty)) == public_html(dirty)
    assert clean_html(clean_html(dirty)) == clean_html(dirty)
    assert public_html(public_html(dirty)) == public_html(dirty)


def test_the_stored_form_keeps_wagtail_references_for_the_editor():
    stored = clean_html(DIRTY["wagtail_refs"] + '<embed src="x.swf"><a href="javascript:x()" linktype="page" id="4">y</a>')
    assert stored == (
        '<p data-block-key="k1">见<a linktype="page" id="1">相关页面</a>与<a id="2" linktype="document">附表</a></p>'
        '<embed embedtype="image" id="3" format="fullwidth" alt="图片"/><a linktype="page" id="4">y</a>'
    )


def test_the_allow_list_has_one_home():
    """Only content_models/sanitizer.py cleans HTML: a second cleaner would be a second allow-list."""
    root = Path(__file__).resolve().parent.parent
    packages = ("content_models", "cms", "site_generator", "search_index", "publish", "services")
    users = sorted(
        str(path.relative_to(root))
        for package in packages
        for path in (root / package).rglob("*.py")
        if re.search(r"^\s*(import nh3|from nh3 import)|lxml_html_clean|bleach", path.read_text("utf-8"), re.M)
    )
    assert users == ["content_models/sanitizer.py"]
