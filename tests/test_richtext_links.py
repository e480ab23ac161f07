"""Rich-text links an editor chooses, and the files an editor may choose (issue 13, ADR 0104).

- The editor offers links to a disclosure document and to a 栏目单页, chosen from the department's
  own items and other sites' public ones; saved through the admin, they are stored by id and the
  built page links their static URLs.
- A department editor's file and image choosers and listings show the department's collection
  only; platform administrators see every file.
- Withdrawing a linked document through the admin rebuilds the pages that link it: the link
  becomes its words, and the site has no broken link.
"""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Locale

from cms.admin import permissions
from cms.build import jobs
from cms.models import PendingChange, StandalonePage
from content_models.models import Department, DisclosureDocument
from tests.helpers.links import broken_links

pytestmark = pytest.mark.django_db
ADD = "/admin/snippets/content_models/disclosuredocument/add/"
BODY = re.compile(r'<div class="article-body">\n(.*?)\n</div>', re.S)


@pytest.fixture()
def env(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.GOVSITE_FILES_DIR = tmp_path / "store"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GOVSITE_BUILD_PLUGINS = []
    settings.GOVSITE_SERVICE_PAGES = False
    Locale.objects.get_or_create(language_code="zh-hans")
    return tmp_path


@pytest.fixture()
def depts(env):
    own = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001", sort_order=1)
    other = Department.objects.create(slug="nyj", name="南安市农业农村局", organ_code="113505830002", sort_order=2)
    return own, other


def editor_of(department, name="editor"):
    user = get_user_model().objects.create_user(name, password="x")
    user.groups.add(permissions.ensure_department_group(department))
    return user


def doc(dept, source_id: str, title: str, *, live: bool = True, body: str = "<p>正文</p>") -> DisclosureDocument:
    return DisclosureDocument.objects.create(
        source_id=source_id, department=dept, organ=dept.name, title=title, body=body, live=live,
        published_at=timezone.make_aware(timezone.datetime(2025, 3, 1, 9, 0)), category="通知公告")


def contentstate(text: str, links: list[tuple[str, str, str]]) -> str:
    """A Draftail value: ``text`` with each (words, entity type, id) made a link entity."""
    ranges, entities = [], {}
    for key, (words, kind, ident) in enumerate(links):
        ranges.append({"offset": text.index(words), "length": len(words), "key": key})
        entities[str(key)] = {"type": kind, "mutability": "MUTABLE", "data": {"id": ident, "title": words}}
    return json.dumps({"blocks": [{"key": "a1b2c", "text": text, "type": "unstyled", "depth": 0,
                                   "inlineStyleRanges": [], "entityRanges": ranges, "data": {}}],
                       "entityMap": entities})


def form_data(dept, title: str, body: str, **extra) -> dict:
    return {
        "title": title, "department": str(dept.pk), "organ": dept.name, "doc_no": "", "index_no": "",
        "written": "", "published_at": "2025-03-02 09:00", "category": "通知公告", "topic": "", "validity": "",
        "keywords": "", "summary": "", "body": body, "interprets": "", "replaced_by": "",
        "attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0", "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000", **extra,
    }


def test_an_editor_links_a_document_and_a_standalone_page_chosen_in_the_editor(depts, env):
    own, other = depts
    editor = editor_of(own)
    policy = doc(own, "fgj-policy", "现行政策")
    theirs = doc(other, "nyj-public", "农业局公开文件")
    draft_of_other = doc(other, "nyj-draft", "农业局草稿", live=False)
    guide = StandalonePage.objects.create(department=own, slug="gkzn", title="本局公开指南", body="<p>指南</p>", live=True)
    hidden = StandalonePage.objects.create(department=other, slug="draft", title="农业局未发布单页", body="<p>x</p>",
                                           live=False)
    client = Client()
    client.force_login(editor)

    # the editor's toolbar has both link types, each with its chooser
    form = client.get(ADD).content.decode()
    for needle in ('"DISCLOSURE"', '"STANDALONE"', "cms/js/richtext-links.js",
                   "/admin/snippets/choose/content_models/disclosuredocument/",
                   "/admin/snippets/choose/cms/standalonepage/"):
        assert needle in form, needle
    # the choosers list own items and other sites' public ones, never another site's draft
    chooser = client.get("/admin/snippets/choose/content_models/disclosuredocument/").json()["html"]
    assert "现行政策" in chooser and "农业局公开文件" in chooser and "农业局草稿" not in chooser
    pages = client.get("/admin/snippets/choose/cms/standalonepage/").json()["html"]
    assert "本局公开指南" in pages and "农业局未发布单页" not in pages
    assert client.get(f"/admin/snippets/choose/content_models/disclosuredocument/chosen/{draft_of_other.pk}/") \
        .status_code == 404
    assert client.get(f"/admin/snippets/choose/cms/standalonepage/chosen/{hidden.pk}/").status_code == 404

    # saved through the admin's form: stored by id
    text = "依据现行政策和农业局公开文件，详见本局公开指南。"
    body = contentstate(text, [("现行政策", "DISCLOSURE", str(policy.pk)), ("农业局公开文件", "DISCLOSURE", str(theirs.pk)),
                               ("本局公开指南", "STANDALONE", str(guide.pk))])
    response = client.post(ADD, form_data(own, "链接其他文件的通知", body))
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = DisclosureDocument.objects.get(title="链接其他文件的通知")
    stored = saved.latest_revision.content["body"] if saved.latest_revision else saved.body
    assert f'<a linktype="disclosure" id="{policy.pk}">现行政策</a>' in stored
    assert f'<a linktype="standalone" id="{guide.pk}">本局公开指南</a>' in stored
    # it opens again in the editor with its links
    edit = html.unescape(client.get(f"/admin/snippets/content_models/disclosuredocument/edit/{saved.pk}/")
                         .content.decode())
    assert edit.count('"DISCLOSURE"') >= 3 and edit.count('"STANDALONE"') >= 2  # the toolbar's, and the links'

    # published, the page links the public addresses
    saved.refresh_from_db()
    saved.save_revision(user=editor).publish(user=editor)
    call_command("build_site", "--full", verbosity=0)
    site = env / "site"
    shown = BODY.search((site / f"fgj/2025/{saved.source_id}.html").read_text("utf-8")).group(1)
    links = {text: href for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', shown)}
    assert links == {"现行政策": "/fgj/2025/fgj-policy.html", "农业局公开文件": "/nyj/2025/nyj-public.html",
                     "本局公开指南": "/fgj/gkzn/"}
    assert broken_links(site) == {}


def _png() -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (40, 20), (10, 120, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_file_and_image_choosers_show_the_departments_collection_only(depts):
    own, other = depts
    editor = editor_of(own)
    Document, Image = get_document_model(), get_image_model()
    for dept, label in ((own, "本局"), (other, "农业局")):
        collection = permissions.department_collection(dept)
        Document.objects.create(title=f"{label}申报表", file=ContentFile(b"%PDF-1.4 x", name="a.pdf"),
                                collection=collection)
        Image.objects.create(title=f"{label}示意图", file=ImageFile(io.BytesIO(_png()), name="a.png"),
                             collection=collection)
    # a group from before department collections, holding the model-wide permission: the chooser
    # hook still shows the department's files only
    legacy = Permission.objects.get(content_type__app_label="wagtaildocs", codename="choose_document")
    own.editors.permissions.add(legacy)
    client = Client()
    client.force_login(editor)

    def seen(url: str) -> set[str]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.json()["html"] if "json" in response.get("Content-Type", "") else response.content.decode()
        return {t for t in ("本局申报表", "农业局申报表", "本局示意图", "农业局示意图") if t in html}

    assert seen("/admin/documents/chooser/") == {"本局申报表"}
    assert seen("/admin/images/chooser/") == {"本局示意图"}
    # repaired by the setup (``govsite setup_departments``): Wagtail's own listings follow
    permissions.setup_departments()
    assert not own.editors.permissions.filter(pk=legacy.pk).exists()
    assert seen("/admin/documents/") == {"本局申报表"}
    assert seen("/admin/images/") == {"本局示意图"}
    assert seen("/admin/documents/chooser/") == {"本局申报表"}
    assert seen("/admin/images/chooser/") == {"本局示意图"}

    admin = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(admin)
    assert seen("/admin/documents/chooser/") == {"本局申报表", "农业局申报表"}
    assert seen("/admin/images/chooser/") == {"本局示意图", "农业局示意图"}


def test_withdrawing_a_linked_document_in_the_admin_rebuilds_the_pages_that_link_it(depts, env):
    own, _other = depts
    admin = get_user_model().objects.create_superuser("root", password="x")
    target = doc(own, "fgj-target", "被引用的文件")
    call_command("build_site", "--full", verbosity=0)
    site = env / "site"
    link = f'<p>详见<a linktype="disclosure" id="{target.pk}">被引用的文件</a>。</p>'
    linking = doc(own, "fgj-linking", "引用它的文件", live=False, body=link)
    linking.save_revision(user=admin).publish(user=admin)
    page_body = f'<p>参见<a linktype="disclosure" id="{target.pk}">该文件</a>。</p>'
    guide = StandalonePage.objects.create(department=own, slug="gkzn", title="公开指南", body=page_body, live=False)
    guide.save_revision(user=admin).publish(user=admin)
    assert jobs.run_pending()["full"] is False
    page = site / "fgj/2025/fgj-linking.html"
    assert 'href="/fgj/2025/fgj-target.html"' in page.read_text("utf-8")
    assert 'href="/fgj/2025/fgj-target.html"' in (site / "fgj/gkzn/index.html").read_text("utf-8")

    client = Client()
    client.force_login(admin)
    response = client.post(f"/admin/snippets/content_models/disclosuredocument/unpublish/{target.pk}/")
    assert response.status_code == 302
    queued = set(PendingChange.objects.values_list("source_id", flat=True))
    assert {"fgj-target", "fgj-linking"} <= queued
    assert jobs.run_pending()["full"] is False
    assert not (site / "fgj/2025/fgj-target.html").exists()
    shown = BODY.search(page.read_text("utf-8")).group(1)
    assert "被引用的文件" in shown and "fgj-target" not in shown and "<a " not in shown
    assert "fgj-target" not in (site / "fgj/gkzn/index.html").read_text("utf-8")
    assert broken_links(site) == {}

    # published again: the link comes back
    target.refresh_from_db()
    target.save_revision(user=admin).publish(user=admin)
    jobs.run_pending()
    assert 'href="/fgj/2025/fgj-target.html"' in page.read_text("utf-8")
