"""Issue 13 item 6: metadata and demo content a citizen can trust.

A document created in the admin gets its 索引号 when it is first published (and keeps it); a
失效/废止 sample policy's 现行文件 is a later policy of the same department on the same subject;
the demo's attachments are real files that open.
"""

from __future__ import annotations

import orjson
import pytest
from django.contrib.auth import get_user_model

from cms.admin.forms import document_edit_handler
from cms.demo.files import write_sample_files
from cms.demo.sample import generate_sample
from cms.exchange.importer import AttachmentFiles, import_records
from content_models import identifiers
from content_models.extract import extract_text
from content_models.filestore import FileStore
from content_models.models import Attachment, Department, DisclosureDocument


def _form_data(dept, title: str) -> dict:
    return {
        "title": title, "department": str(dept.pk), "organ": dept.name, "doc_no": "", "index_no": "",
        "written": "", "published_at": "2025-03-01 09:00", "category": "通知公告", "topic": "", "validity": "",
        "keywords": "", "summary": "", "body": "<p>正文</p>", "interprets": "", "replaced_by": "",
        "attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0", "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.django_db
def test_a_document_written_in_the_admin_gets_its_index_no_when_first_published(settings):
    settings.WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "django.forms.Textarea"}}
    dept = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001")
    user = get_user_model().objects.create_superuser("root", password="x")
    form_class = document_edit_handler.bind_to_model(DisclosureDocument).get_form_class()
    form = form_class(_form_data(dept, "草稿"), instance=DisclosureDocument(), for_user=user)
    assert form.is_valid(), form.errors
    doc = form.save()
    doc.save_revision(user=user)
    doc.refresh_from_db()
    assert doc.index_no == ""  # a draft has no number yet

    doc.latest_revision.publish(user=user)
    doc.refresh_from_db()
    assert identifiers.parse_index_no(doc.index_no) == ("113505830001", 2025, 1)

    # The editor's next revision was made from a form that showed the field empty: the number stays.
    form = form_class(dict(_form_data(dept, "草稿（修改）")), instance=doc, for_user=user)
    assert form.is_valid(), form.errors
    edited = form.save(commit=False)
    edited.index_no = ""
    edited.save_revision(user=user).publish(user=user)
    doc.refresh_from_db()
    assert doc.title == "草稿（修改）" and doc.index_no == "113505830001/2025-00001"

    second = form_class(_form_data(dept, "第二份"), instance=DisclosureDocument(), for_user=user)
    assert second.is_valid(), second.errors
    other = second.save()
    other.save_revision(user=user).publish(user=user)
    other.refresh_from_db()
    assert other.index_no == "113505830001/2025-00002"


def test_a_replaced_sample_policy_points_at_its_successor():
    records = {r["id"]: r for r in generate_sample(docs=2400, seed=1)}
    replaced = [r for r in records.values() if r.get("replaced_by")]
    assert len(replaced) > 20
    for old in replaced:
        new = records[old["replaced_by"]]
        assert old["validity"] in ("失效", "废止")
        assert new["site"] == old["site"] and new["category"] == old["category"] and new["topic"] == old["topic"]
        assert new["published"] > old["published"]
        assert "修订" in new["title"]


@pytest.mark.django_db
def test_the_demo_attachments_are_real_files_that_open(settings, tmp_path):
    settings.GOVSITE_FILES_DIR = tmp_path / "store"
    records = list(generate_sample(docs=120, seed=1))
    assert write_sample_files(records, tmp_path / "files") > 20
    summary = import_records([orjson.dumps(r) for r in records],
                             files=AttachmentFiles(FileStore(tmp_path / "store"), tmp_path / "files"))
    assert summary.files_missing == 0 and summary.files_stored > 20
    store = FileStore(tmp_path / "store")
    for att in Attachment.objects.all():
        assert att.sha256 and att.file_type in ("pdf", "docx", "xlsx", "ofd")
        assert att.title in extract_text(store.path(att.sha256), att.file_type)  # it opens and says what it is
