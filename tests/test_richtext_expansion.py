"""Issue 13 item 4: what an editor puts in the rich text reaches citizens.

Images become responsive renditions with width, height and the editor's alt text (required);
links to pages, disclosure documents and uploaded files resolve to their public URLs; a link to
something unpublished or withdrawn becomes plain text: on the static page and in the API alike.
"""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.test import Client
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.admin.forms import document_edit_handler
from cms.demo.files import make_pdf
from cms.models import StandalonePage
from content_models.models import Department, DisclosureDocument
from content_models.sanitizer import EDITOR_FEATURES, public_html
from tests.helpers.links import broken_links

PDF = make_pdf(["实施细则全文"])
BODY = re.compile(r'<div class="article-body">\n(.*?)\n</div>', re.S)


@pytest.fixture()
def env(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.GOVSITE_FILES_DIR = tmp_path / "store"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GOVSITE_BUILD_PLUGINS = []
    settings.GOVSITE_SERVICE_PAGES = False
    settings.WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "django.forms.Textarea"}}
    return tmp_path


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _form(user, dept, title: str, body: str):
    data = {
        "title": title, "department": str(dept.pk), "organ": dept.name, "doc_no": "", "index_no": "",
        "written": "", "published_at": "2025-03-01 09:00", "category": "通知公告", "topic": "", "validity": "",
        "keywords": "", "summary": "", "body": body, "interprets": "", "replaced_by": "",
        "attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0", "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    form_class = document_edit_handler.bind_to_model(DisclosureDocument).get_form_class()
    return form_class(data, instance=DisclosureDocument(), for_user=user)


def _publish(user, dept, title: str, body: str) -> DisclosureDocument:
    form = _form(user, dept, title, body)
    assert form.is_valid(), form.errors
    doc = form.save()
    doc.save_revision(user=user).publish(user=user)
    doc.refresh_from_db()
    return doc


@pytest.mark.django_db
def test_images_and_links_in_rich_text_are_expanded_on_the_page_and_in_the_api(env):
    dept = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001")
    user = get_user_model().objects.create_superuser("root", password="x")
    image = get_image_model().objects.create(title="示意图", file=ImageFile(io.BytesIO(_png(2000, 1000)), name="示意图.png"))
    upload = get_document_model().objects.create(title="实施细则", file=ContentFile(PDF, name="实施细则.pdf"))
    guide = StandalonePage.objects.create(slug="gkzn", title="公开指南", body="<p>指南</p>", live=True)
    draft = StandalonePage.objects.create(slug="draft", title="未发布的页面", body="<p>草稿</p>", live=False)
    policy = _publish(user, dept, "现行政策", "<p>政策正文</p>")
    withdrawn = _publish(user, dept, "已撤回的文件", "<p>旧文</p>")
    withdrawn.unpublish()
    body = (
        f'<p>见<a linktype="document" id="{upload.pk}">实施细则</a>、<a linktype="standalone" id="{guide.pk}">公开指南</a>、'
        f'<a linktype="disclosure" id="{policy.pk}">现行政策</a>、<a linktype="disclosure" id="{withdrawn.pk}">旧文件</a>'
        f'和<a linktype="standalone" id="{draft.pk}">草稿页</a>。</p>'
        f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="项目区位示意图"/>'
    )
    doc = _publish(user, dept, "带图片和链接的通知", body)

    call_command("build_site", "--full", verbosity=0)
    site = env / "site"
    page = (site / f"fgj/2025/{doc.source_id}.html").read_text("utf-8")
    shown = BODY.search(page).group(1)
    links = dict((text, href) for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', shown))
    assert unquote(links["实施细则"]).endswith("/实施细则.pdf")
    assert (site / unquote(links["实施细则"]).lstrip("/")).read_bytes() == PDF
    assert links["公开指南"] == "/gkzn/"
    assert links["现行政策"] == f"/fgj/2025/{policy.source_id}.html"
    assert "旧文件" in shown and "旧文件" not in links  # withdrawn: plain text
    assert "草稿页" in shown and "草稿页" not in links  # unpublished: plain text
    img = re.search(r"<img [^>]+>", shown).group(0)
    assert 'alt="项目区位示意图"' in img and 'width="800"' in img and 'height="400"' in img
    assert 'loading="lazy"' in img and "800w" in img and "1600w" in img
    for url in re.findall(r"(/files/[^\s\"]+)", img):
        assert (site / unquote(url).lstrip("/")).is_file()
    assert "linktype" not in shown and "embed" not in shown
    assert broken_links(site) == {}

    api = Client().get(f"/api/documents/{doc.pk}").json()
    assert f'href="/fgj/2025/{policy.source_id}.html"' in api["body_html"]
    assert links["实施细则"] in api["body_html"] and 'alt="项目区位示意图"' in api["body_html"]
    assert "旧文件" in api["body_html"] and "linktype" not in api["body_html"]


@pytest.mark.django_db
def test_an_image_without_alt_text_is_refused(env):
    dept = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001")
    user = get_user_model().objects.create_superuser("root", password="x")
    image = get_image_model().objects.create(title="图", file=ImageFile(io.BytesIO(_png(100, 50)), name="a.png"))
    form = _form(user, dept, "无替代文字", f'<embed embedtype="image" id="{image.pk}" format="left" alt=""/>')
    assert not form.is_valid()
    assert "替代文字" in str(form.errors["body"])


def test_the_editor_offers_no_embeds_from_outside_hosts():
    body = DisclosureDocument._meta.get_field("body")
    assert body.features == list(EDITOR_FEATURES)
    assert "embed" not in EDITOR_FEATURES and "image" in EDITOR_FEATURES and "document-link" in EDITOR_FEATURES


def test_anchors_without_a_target_are_unwrapped():
    assert public_html('<p><a name="_Toc1">第一章</a> 总则<a>附件</a></p>') == "<p>第一章 总则附件</p>"
    assert public_html('<p><a href="/a.html">链接</a></p>') == '<p><a href="/a.html" rel="noopener noreferrer">链接</a></p>'
