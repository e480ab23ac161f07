"""An import that withdraws or publishes a linked document rebuilds the pages that link it (ADR 0105).

Bodies link documents and 栏目单页 by id (``<a linktype="disclosure" id="12">``); the build makes
the link a URL while the target is live and its words once it is not. The admin path records the
links on publish and rebuilds the linking pages (ADR 0104); a bulk import does the same after each
batch: the links of imported bodies are recorded, and the pages that link a document the import
withdrew, published again or changed are built with it. The incremental build through the queue
leaves the same site as a full build.
"""

from __future__ import annotations

import re

import orjson
import pytest
from django.contrib.auth import get_user_model
from wagtail.models import Locale, ReferenceIndex

from cms.build import jobs
from cms.build.jobs import build_from_database
from cms.exchange.importer import import_records
from cms.models import StandalonePage
from content_models.models import Department, DisclosureDocument
from tests.helpers.links import broken_links
from tests.test_site_incremental import tree

pytestmark = pytest.mark.django_db
BODY = re.compile(r'<div class="article-body">\n(.*?)\n</div>', re.S)
TARGET_URL = 'href="/fgj/2025/fgj-target.html"'


@pytest.fixture()
def env(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.GOVSITE_FILES_DIR = tmp_path / "store"
    settings.GOVSITE_BUILD_PLUGINS = []
    settings.GOVSITE_SERVICE_PAGES = False
    Locale.objects.get_or_create(language_code="zh-hans")
    Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001", sort_order=1)
    return tmp_path




def record(sid: str, title: str, body: str = "<p>正文</p>", **extra) -> dict:
    return {"id": sid, "site": "fgj", "organ": "南安市发展和改革局", "title": title, "category": "通知公告",
            "published": "2025-03-01T09:00:00+08:00", "body_html": body, **extra}


@pytest.fixture()
def run_import(django_capture_on_commit_callbacks):
    """An import as the command runs it: its batches commit, so ``documents_imported`` is sent."""
    def run(*records: dict) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            summary = import_records([orjson.dumps(r) for r in records])
        assert summary.bad == 0, summary.bad_lines
    return run


def assert_equals_full_build(env) -> None:
    full = env / f"full-{len(list(env.iterdir()))}"
    build_from_database(out=full, full=True)
    assert tree(env / "site") == tree(full)


def shown(env, name: str) -> str:
    return BODY.search((env / "site" / "fgj/2025" / name).read_text("utf-8")).group(1)


def test_an_import_that_withdraws_or_publishes_a_linked_document_rebuilds_the_pages_that_link_it(env, run_import):
    run_import(record("fgj-target", "被引用的文件"))
    target = DisclosureDocument.objects.get(source_id="fgj-target")
    link = f'<p>详见<a linktype="disclosure" id="{target.pk}">被引用的文件</a>。</p>'
    # the linking document comes from an import, the 栏目单页 from the admin
    run_import(record("fgj-linking", "引用它的文件", link), record("fgj-other", "无关的文件"))
    admin = get_user_model().objects.create_superuser("root", password="x")
    guide = StandalonePage.objects.create(department=target.department, slug="gkzn", title="公开指南", live=False,
                                          body=f'<p>参见<a linktype="disclosure" id="{target.pk}">该文件</a>。</p>')
    guide.save_revision(user=admin).publish(user=admin)
    linking = DisclosureDocument.objects.get(source_id="fgj-linking")
    assert ReferenceIndex.get_references_to(target).filter(object_id=str(linking.pk)).exists()
    jobs.run_pending()
    assert TARGET_URL in shown(env, "fgj-linking.html")
    assert TARGET_URL in (env / "site/fgj/gkzn/index.html").read_text("utf-8")
    assert_equals_full_build(env)

    # withdrawn by an import: the linking document and 栏目单页 are built again, the link is words only
    run_import({"op": "withdraw", "id": "fgj-target"})
    result = jobs.run_pending()
    assert result["full"] is False
    assert not (env / "site/fgj/2025/fgj-target.html").exists()
    body = shown(env, "fgj-linking.html")
    assert "被引用的文件" in body and "fgj-target" not in body and "<a " not in body
    assert "fgj-target" not in (env / "site/fgj/gkzn/index.html").read_text("utf-8")
    assert broken_links(env / "site") == {}
    assert_equals_full_build(env)

    # published again by a later import: the link comes back
    run_import(record("fgj-target", "被引用的文件"))
    jobs.run_pending()
    assert TARGET_URL in shown(env, "fgj-linking.html")
    assert TARGET_URL in (env / "site/fgj/gkzn/index.html").read_text("utf-8")
    assert_equals_full_build(env)

    # the target moves (another year): the linking page follows its new URL
    run_import(record("fgj-target", "被引用的文件", published="2026-01-05T09:00:00+08:00"))
    jobs.run_pending()
    assert 'href="/fgj/2026/fgj-target.html"' in shown(env, "fgj-linking.html")
    assert broken_links(env / "site") == {}
    assert_equals_full_build(env)


def test_a_body_whose_links_an_import_removes_no_longer_follows_the_target(env, run_import):
    run_import(record("fgj-target", "被引用的文件"))
    target = DisclosureDocument.objects.get(source_id="fgj-target")
    run_import(record("fgj-linking", "引用它的文件", f'<p><a linktype="disclosure" id="{target.pk}">链接</a></p>'))
    assert ReferenceIndex.get_references_to(target).exists()
    run_import(record("fgj-linking", "引用它的文件", "<p>不再链接</p>"))
    assert not ReferenceIndex.get_references_to(target).exists()
