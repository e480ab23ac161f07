"""A file of hostile lines imports everything that can be imported (issue 14, item 5).

Runs on SQLite and, through ``run-tests``, on PostgreSQL (NUL is an error there, year 1 with an
offset is one on SQLite). Every malformed value is reported with its line number (第 N 行) and
the other lines import; control characters never reach a title, a feed or a sitemap.
"""

import orjson
import pytest
from django.core.management import call_command
from django.test import override_settings
from lxml import etree

from cms.exchange.exporter import iter_document_records
from content_models.models import DisclosureDocument
from site_generator.build import build_site
from site_generator.config import BuildConfig

CONTROL = {chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}


def rec(doc_id, **extra) -> bytes:
    base = {"id": doc_id, "site": "zfb", "organ": "南安市人民政府办公室", "title": f"标题{doc_id}",
            "published": "2024-03-01T09:30:00+08:00", "body_html": "<p>正文</p>"}
    base.update(extra)
    return orjson.dumps(base)


HOSTILE = [
    rec("ok1"),                                                          # 1
    rec("y1", published="0001-01-01T00:00:00+08:00"),                    # 2 year 1 with an offset
    rec("y9999", published="9999-12-31T23:59:59-05:00"),                 # 3 year 9999 with an offset
    rec("nul", title="关于\x00印发通知", body_html="<p>正\x00文</p>"),     # 4 NUL (imports, cleaned)
    rec("ctl", title="\x1b[31m红色\x07标题\x0b", organ="办公室\x7f"),       # 5 control characters (cleaned)
    b'{"id": "sur", "site": "zfb", "organ": "o", "title": "\\ud800", "published": "2024-03-01"}',  # 6
    b'{"id": "utf8", "site": "zfb", "organ": "o", "title": "\xed\xa0\x80\xff", "published": "2024-03-01"}',  # 7
    rec("lang", lang="tlh"),                                             # 8 unknown language
    rec("big", body_html="<p>" + "大" * 8000 + "</p>"),                  # 9 body over the limit
    rec("w", written="9999-12-31"),                                      # 10 成文日期 out of range
    rec("kw", keywords=["关键\x00词"], attachments=[{"title": "附\x01件", "file": "https://x.gov.cn/a.pdf"}]),  # 11
    rec("ok2", lang="zh-CN"),                                            # 12
]
BAD = {2: "发布日期", 3: "发布日期", 6: "代理项", 7: "JSON", 8: "语言", 9: "过大", 10: "成文日期"}


@pytest.mark.django_db
@override_settings(GOVSITE_IMPORT_MAX_BODY_BYTES=20_000)
def test_a_file_of_hostile_lines_imports_every_good_line(tmp_path, capsys):
    src = tmp_path / "hostile.jsonl"
    src.write_bytes(b"\n".join(HOSTILE) + b"\n")
    call_command("import_documents", str(src), "--quiet")
    out, err = capsys.readouterr()
    assert "新增 5" in out and f"错误 {len(BAD)}" in out, out
    for lineno, word in BAD.items():
        line = next(x for x in err.splitlines() if x.lstrip().startswith(f"第 {lineno} 行") or f"第 {lineno} 行" in x)
        assert word in line, line
    titles = dict(DisclosureDocument.objects.values_list("source_id", "title"))
    assert set(titles) == {"ok1", "nul", "ctl", "kw", "ok2"}
    assert titles["nul"] == "关于印发通知" and titles["ctl"] == "[31m红色标题"
    assert not any(ch in CONTROL for t in titles.values() for ch in t)
    nul = DisclosureDocument.objects.get(source_id="nul")
    assert "\x00" not in nul.body and "正文" in nul.body
    assert DisclosureDocument.objects.get(source_id="ok2").lang == "zh-hans"
    assert DisclosureDocument.objects.get(source_id="kw").keywords == ["关键词"]


@pytest.mark.django_db
def test_control_characters_typed_in_the_admin_never_reach_a_feed_or_a_sitemap(tmp_path):
    call_command("import_documents", _write(tmp_path, [rec("adm")]), "--quiet")
    # as if saved through the admin or the shell, past the importer's check
    DisclosureDocument.objects.filter(source_id="adm").update(title="标题\x0b含\x1f控制\x7f字符", organ="办\x08公室")
    records = list(iter_document_records())
    assert records[0]["title"] == "标题含控制字符" and records[0]["organ"] == "办公室"
    out = tmp_path / "site"
    config = BuildConfig(portal={"name": "中国·南安", "domain": "www.nanan.gov.cn", "base_url": "https://www.nanan.gov.cn",
                                 "site_id_code": "3505830001"}, processes=1, plugins=[])
    build_site(iter(records), out, full=True, config=config)
    xml_files = [p for p in out.rglob("*.xml")]
    assert any("rss" in p.name or "atom" in p.name for p in xml_files)
    for path in xml_files:
        etree.fromstring(path.read_bytes())  # strict XML: a control character would fail here
        assert not any(ch in CONTROL - {"\t", "\n", "\r"} for ch in path.read_text(encoding="utf-8"))


def _write(tmp_path, lines) -> str:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)
