"""One convention for file sizes and types: the site's attachment list, the admin preview, the
import and the publish report say the same thing for the same file (content_models/files.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from content_models.files import GIB, KIB, MIB, file_type, human_size, type_label
from content_models.filestore import FileStore
from publish.runner import PublishSummary
from site_generator.build import build_site
from site_generator.config import BuildConfig

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("size", "shown"),
    [(None, ""), (0, "0 字节"), (1, "1 字节"), (1023, "1023 字节"), (KIB, "1 KB"), (204_800, "200 KB"),
     (MIB - 1, "1024 KB"), (MIB, "1.0 MB"), (3 * MIB // 2, "1.5 MB"), (GIB - 1, "1024.0 MB"), (GIB, "1.0 GB"),
     (3 * GIB, "3.0 GB")],
)
def test_sizes_read_the_same_everywhere(size, shown):
    assert human_size(size) == shown


@pytest.mark.parametrize(
    ("name", "kind", "label"),
    [("附件1.pdf", "pdf", "PDF"), ("名单.XLSX", "xlsx", "XLSX"), ("/files/a/通知.docx?v=2#p3", "docx", "DOCX"),
     ("https://example.gov.cn/f.ofd", "ofd", "OFD"), ("扫描件", "", "文件"), ("dir.v2/readme", "", "文件"),
     ("file.", "", "文件"), ("archive.tar.gz", "gz", "GZ"), ("x.averyverylongext", "", "文件")],
)
def test_file_types_from_names(name, kind, label):
    assert file_type(name) == kind
    assert type_label(file_type(name)) == label


def test_the_site_lists_attachments_by_the_one_rule(tmp_path):
    stored = FileStore(tmp_path / "store").put_bytes(b"%PDF-1.4 " + b"x" * (204_800 - 9), "申报表.pdf")
    record = {
        "id": "doc-1", "site": "fgj", "organ": "南安市发展和改革局", "title": "附件测试",
        "published": "2025-03-01T09:00:00+08:00", "body_html": "<p>正文</p>",
        "attachments": [
            {"title": "申报表", "file": "a/申报表.pdf", "bytes": 204_800, "sha256": stored.sha256},
            {"title": "名单", "file": "名单.XLSX?v=2", "bytes": 3 * MIB // 2},
            {"title": "扫描件", "file": "扫描件", "bytes": None},
            {"title": "数据包", "file": "https://example.gov.cn/data.zip", "bytes": 3 * GIB},
        ],
    }
    out = tmp_path / "site"
    build_site([record], out, full=True, config=BuildConfig(processes=1, plugins=[], files_dir=tmp_path / "store"))
    html = (out / "fgj/2025/doc-1.html").read_text("utf-8")
    info = re.findall(r'<span class="file-info">（(.*?)）</span>', html)
    # files the store does not hold are listed as 暂缺 (their recorded size would describe nothing)
    assert info == ["PDF，200 KB", "XLSX，暂缺", "文件，暂缺", "ZIP，3.0 GB"]


def test_the_publish_report_uses_the_same_sizes():
    assert "传输 1.5 MB" in PublishSummary(target="dir", bytes_sent=3 * MIB // 2).text()
    assert "传输 0 字节" in PublishSummary(target="dir").text()


def test_sizes_are_formatted_in_one_place():
    """A second formatter (``"B"``/``"KB"`` units, ``/ 1024`` or ``/ 1e6`` in a message) is a second rule."""
    pattern = re.compile(r"""["'] ?(?:KB|MB|GB)["']|\} (?:B|KB|MB|GB|字节)["']|/ 1e6""")
    holders = sorted(
        str(p.relative_to(ROOT))
        for package in ("content_models", "cms", "site_generator", "search_index", "publish", "services")
        for p in (ROOT / package).rglob("*.py")
        if pattern.search(p.read_text("utf-8"))
    )
    assert holders == ["content_models/files.py"]
