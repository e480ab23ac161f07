"""Issue 13 item 7: a policy published only as a PDF is found by its words.

The words of PDF, Word, Excel and OFD attachments are read once, in a step of their own after the
import (``--extract`` or ``govsite extract_attachments``), and indexed with their document; a
file that cannot be read is reported and skipped without stopping anything.
"""

from __future__ import annotations

import io

import orjson
import pytest
from django.core.management import call_command

from cms.demo.files import make_docx, make_ofd, make_pdf, make_xlsx
from content_models.models import AttachmentText
from search_index.query import Query, SearchIndex


@pytest.fixture()
def env(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.GOVSITE_FILES_DIR = tmp_path / "store"
    settings.GOVSITE_BUILD_PLUGINS = ["search_index.plugin.SearchIndexPlugin"]
    settings.GOVSITE_SERVICE_PAGES = False
    files = tmp_path / "files"
    files.mkdir()
    (files / "细则.pdf").write_bytes(make_pdf(["秸秆综合利用补贴标准", "每亩补助二十元"]))
    (files / "名单.docx").write_bytes(make_docx(["农机购置补贴受益户名单"]))
    (files / "明细.xlsx").write_bytes(make_xlsx([["高标准农田建设资金", "万元"]]))
    (files / "通知.ofd").write_bytes(make_ofd(["生猪调出大县奖励资金"]))
    (files / "损坏.pdf").write_bytes(b"%PDF-1.4\n this is not a real pdf")
    return tmp_path, files


def _doc(i: int, title: str, file: str) -> dict:
    return {"id": f"s-{i}", "site": "nyj", "organ": "南安市农业农村局", "title": title,
            "published": f"2024-05-0{i}T09:00:00+08:00", "category": "通知公告", "body_html": "<p>详见附件。</p>",
            "attachments": [{"title": "附件", "file": file, "bytes": None}]}


@pytest.mark.django_db
def test_search_finds_a_document_by_a_phrase_only_in_its_attachment(env):
    tmp_path, files = env
    jsonl = tmp_path / "docs.jsonl"
    records = [_doc(1, "关于印发补贴细则的通知", "细则.pdf"), _doc(2, "关于公示名单的通知", "名单.docx"),
               _doc(3, "资金明细", "明细.xlsx"), _doc(4, "奖励资金通知", "通知.ofd"), _doc(5, "扫描件", "损坏.pdf")]
    jsonl.write_bytes(b"\n".join(orjson.dumps(r) for r in records))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_documents", str(jsonl), "--files", str(files), "--extract", stdout=out, stderr=err)
    assert "新增 5" in out.getvalue()  # the unreadable file stops nothing
    assert "有文字 4" in out.getvalue() and "无法读取 1" in out.getvalue()
    assert "损坏.pdf" in err.getvalue() and "已跳过" in err.getvalue()
    assert AttachmentText.objects.count() == 5

    call_command("build_site", "--full", verbosity=0)
    index = SearchIndex(tmp_path / "site")
    for phrase, doc_id in [("秸秆综合利用", "s-1"), ("农机购置补贴受益户", "s-2"), ("高标准农田", "s-3"),
                           ("生猪调出大县", "s-4")]:
        found = [r["id"] for r in index.search(Query(q=phrase)).results]
        assert found[:1] == [doc_id], phrase

    # Read once: a second run finds nothing left to read.
    out = io.StringIO()
    call_command("extract_attachments", "--quiet", stdout=out)
    assert "0 个文件" in out.getvalue()
