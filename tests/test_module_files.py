"""Wagtail documents that service modules' pages link reach citizens as files of the static site.

A 办事指南's blank form and a consultation's uploaded draft are Wagtail documents. On the static
site they must be real files under the stable content-named ``/files/...`` URLs that attachments
get (never the CMS's ``/documents/`` URL, which the public server does not answer), replaced files
must leave the site, and a document whose file is gone is named with 暂缺, not linked.
"""

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Locale

from cms.models import PendingChange
from content_models.models import Department
from services.consultations.models import Consultation
from services.guides.exchange import import_lines
from services.guides.models import ServiceItem
from tests.helpers.links import broken_links
from tests.helpers.services import build_service_pages
from tests.test_guides import lines, record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def store(settings, tmp_path):
    settings.GOVSITE_FILES_DIR = tmp_path / "store"


@pytest.fixture()
def dept():
    Locale.objects.get_or_create(language_code="zh-hans")
    return Department.objects.create(slug="zrzyj", name="自然资源局", sort_order=1)


def file_hrefs(html: str) -> list[str]:
    return re.findall(r'href="(/files/[^"]+)"', html)


def test_guide_forms_are_site_files_and_a_replaced_form_leaves_the_site(dept, tmp_path):
    (tmp_path / "form.docx").write_bytes(b"PK\x03\x04 blank form " * 20)
    (tmp_path / "sample.pdf").write_bytes(b"%PDF-1.4 sample " * 20)
    import_lines(lines(record()), base_dir=tmp_path)
    out, state = tmp_path / "site", tmp_path / "state"
    build_service_pages(out, state)
    html = (out / "guides/XK001/index.html").read_text()
    hrefs = file_hrefs(html)
    assert len(hrefs) == 2 and "/documents/" not in html
    old_sample = out / unquote(hrefs[1]).lstrip("/")
    assert old_sample.read_bytes().startswith(b"%PDF")
    assert broken_links(out) == {}

    # an editor replaces the sample's file: the page links the new bytes, the old file is gone
    sample = ServiceItem.objects.get().materials.get(sample__isnull=False).sample
    before = PendingChange.objects.filter(kind=PendingChange.Kind.PAGES).count()
    sample.file.save("sample-v2.pdf", ContentFile(b"%PDF-1.7 new sample " * 20))
    # the edit asks for the pages again (the build then writes only the pages whose file changed)
    assert PendingChange.objects.filter(kind=PendingChange.Kind.PAGES).count() == before + 1
    result = build_service_pages(out, state, full=False)
    assert result.pages_rendered == 1  # the guide; no list shows its files
    new = file_hrefs((out / "guides/XK001/index.html").read_text())
    assert len(new) == 2 and new[1] != hrefs[1] and new[0] == hrefs[0]
    assert (out / unquote(new[1]).lstrip("/")).read_bytes().startswith(b"%PDF-1.7")
    assert not old_sample.exists()
    assert broken_links(out) == {}

    # the form's file vanished from the media storage: named with 暂缺, never a dead link
    form = ServiceItem.objects.get().materials.get(blank_form__isnull=False).blank_form
    form.file.storage.delete(form.file.name)
    build_service_pages(out, state, full=False)
    html = (out / "guides/XK001/index.html").read_text()
    assert len(file_hrefs(html)) == 1 and "申请表（空白）" in html and "暂缺" in html
    assert broken_links(out) == {}


def test_consultation_draft_file_is_a_site_file(dept, tmp_path, client):
    upload = get_document_model().objects.create(title="征求意见稿（全文）", file=ContentFile(
        b"%PDF-1.4 draft " * 30, name="draft.pdf"))
    today = timezone.localdate()
    c = Consultation(title="关于《城市绿地管理办法（征求意见稿）》公开征求意见", department=dept, draft_file=upload,
                     start_date=today - dt.timedelta(days=3), end_date=today + dt.timedelta(days=10))
    c.full_clean()
    c.save()
    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    html = (out / f"consultations/{c.number}/index.html").read_text()
    hrefs = file_hrefs(html)
    assert len(hrefs) == 1 and "/documents/" not in html and "征求意见稿（全文）" in html
    assert (out / unquote(hrefs[0]).lstrip("/")).read_bytes().startswith(b"%PDF-1.4 draft")
    assert broken_links(out) == {}
    # the API gives the same public URL
    api = client.get(f"/api/services/consultations/{c.number}").json()
    assert api["draft_file"]["url"] == hrefs[0]
