"""Importer rules: bad lines, 索引号 generation, 发文字号 normalization, departments, links, withdraw."""

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cms.exchange.exporter import iter_document_records
from cms.exchange.importer import allocate_index_nos, import_records
from content_models.models import Attachment, Department, DisclosureDocument, IndexNoCounter

ORGAN = "1135058300001"


def rec(doc_id, **extra):
    base = {
        "id": doc_id, "site": "zfb", "organ": "南安市人民政府办公室", "title": f"标题{doc_id}",
        "published": "2024-03-01T09:30:00+08:00", "body_html": "<p>正文</p>",
    }
    base.update(extra)
    return orjson.dumps(base).decode()


def live_ids():
    return {r["id"] for r in iter_document_records()}


@pytest.mark.django_db
def test_bad_lines_are_reported_with_their_number_and_the_rest_imports():
    lines = [
        rec("a1"),
        rec("a2", attachments=[{"title": "附件", "file": "a.pdf", "bytes": -5}]),  # 2: bad attachment size
        '{"id": "a3", "site": "zfb", ',  # 3: broken JSON
        rec("a4", title=""),  # 4: empty title
        rec("a5", published="2024年3月1日"),  # 5: unreadable date
        '{"op": "update", "id": "nope", "title": "新标题", "body_html": "<p>x</p>"}',  # 6: unknown id
        "",  # 7: blank lines are skipped, not errors
        rec("a8", validity="作废"),  # 8: not a validity value
        rec("a9"),
    ]
    summary = import_records(lines)
    assert summary.created == 2 and summary.bad == 6
    assert [p.lineno for p in summary.bad_lines] == [2, 3, 4, 5, 6, 8]
    messages = {p.lineno: p.message for p in summary.bad_lines}
    assert "附件" in messages[2] and "JSON" in messages[3] and "title" in messages[4]
    assert "发布日期" in messages[5] and "不存在" in messages[6] and "有效性" in messages[8]
    assert "第 6 行" in str(summary.bad_lines[4])
    # No half-written record: the bad ones left nothing behind.
    assert live_ids() == {"a1", "a9"}
    assert not DisclosureDocument.objects.filter(source_id="a2").exists()
    assert not Attachment.objects.exists()
    assert "错误 6" in summary.as_text()


@pytest.mark.django_db
def test_generated_index_numbers_follow_imported_ones_per_organ_and_year():
    lines = [
        rec("n1"),  # 2024, no number, comes BEFORE the imported numbers of the same organ and year
        rec("i1", index_no=f"{ORGAN}/2024-00001"),
        rec("i7", index_no=f"{ORGAN}/2024-00007"),
        rec("n2", published="2023-05-01T10:00:00+08:00"),
        rec("n3"),
        rec("x1", site="jyj", organ="南安市教育局", index_no="1135058300003/2024-00002"),
        rec("x2", site="jyj", organ="南安市教育局"),
    ]
    summary = import_records(lines)
    assert summary.bad == 0, summary.bad_lines
    numbers = dict(DisclosureDocument.objects.values_list("source_id", "index_no"))
    assert numbers["i1"] == f"{ORGAN}/2024-00001" and numbers["i7"] == f"{ORGAN}/2024-00007"
    assert {numbers["n1"], numbers["n3"]} == {f"{ORGAN}/2024-00008", f"{ORGAN}/2024-00009"}
    assert numbers["n2"] == f"{ORGAN}/2023-00001"
    assert numbers["x2"] == "1135058300003/2024-00003"
    assert IndexNoCounter.objects.get(organ_code=ORGAN, year=2024).last_serial == 9

    # A later import continues the series, and re-importing keeps the numbers already given.
    import_records([rec("n4"), rec("n1")])
    numbers = dict(DisclosureDocument.objects.values_list("source_id", "index_no"))
    assert numbers["n4"] == f"{ORGAN}/2024-00010"
    assert numbers["n1"] in {f"{ORGAN}/2024-00008", f"{ORGAN}/2024-00009"}


@pytest.mark.django_db
def test_an_index_number_used_by_another_document_is_a_bad_line():
    summary = import_records([rec("d1", index_no=f"{ORGAN}/2024-00003"), rec("d2", index_no=f"{ORGAN}/2024-00003")])
    assert summary.created == 1 and [p.lineno for p in summary.bad_lines] == [2]
    assert "d1" in summary.bad_lines[0].message


@pytest.mark.django_db
def test_allocation_skips_numbers_already_taken():
    import_records([rec("t1", index_no=f"{ORGAN}/2025-00002")])
    IndexNoCounter.objects.filter(organ_code=ORGAN, year=2025).update(last_serial=0)  # a counter behind reality
    assert allocate_index_nos(ORGAN, 2025, 3) == [f"{ORGAN}/2025-0000{n}" for n in (1, 3, 4)]


@pytest.mark.django_db
def test_doc_numbers_are_normalized_and_invalid_ones_kept_with_a_warning():
    summary = import_records([
        rec("p1", doc_no="南政办[2024]12号"),
        rec("p2", doc_no="南政办（２０２４）３号"),
        rec("p3", doc_no=" 南政办〔2024〕第5号 "),
        rec("p4", doc_no="南政办〔2024〕"),
        rec("p5", doc_no="政府令第三号"),  # a 令 number in Chinese numerals is a real 文号
    ])
    assert summary.bad == 0 and summary.created == 5
    got = dict(DisclosureDocument.objects.values_list("source_id", "doc_no"))
    assert got["p1"] == "南政办〔2024〕12号"
    assert got["p2"] == "南政办〔2024〕3号"
    assert got["p3"] == "南政办〔2024〕第5号"
    assert got["p4"] == "南政办〔2024〕"  # stored as given, not lost
    assert got["p5"] == "政府令第三号"
    assert [(w.lineno, w.doc_id) for w in summary.warning_lines] == [(4, "p4")]
    assert "发文字号" in summary.warning_lines[0].message


@pytest.mark.django_db
def test_unknown_site_becomes_a_department_named_after_the_organ():
    import_records([rec("s1", site="hxj", organ="南安市海峡局", index_no="1135058300077/2024-00001")])
    dept = Department.objects.get(slug="hxj")
    assert dept.name == "南安市海峡局" and dept.organ_code == "1135058300077"
    assert DisclosureDocument.objects.get(source_id="s1").department == dept
    import_records([rec("s2", site="hxj2", organ="南安市新部门")])  # no 索引号: a code is assigned
    doc = DisclosureDocument.objects.get(source_id="s2")
    assert doc.department.organ_code and doc.index_no.startswith(doc.department.organ_code + "/2024-")


@pytest.mark.django_db
def test_links_resolve_whatever_the_order_and_unknown_targets_warn():
    summary = import_records([
        rec("jd1", category="政策解读", interprets="zc1"),  # target comes later
        rec("old", validity="废止", replaced_by="zc1"),
        rec("zc1", category="政策文件"),
        rec("jd2", category="政策解读", interprets="missing"),
    ], batch_size=2)
    records = {r["id"]: r for r in iter_document_records()}
    assert records["jd1"]["interprets"] == "zc1" and records["old"]["replaced_by"] == "zc1"
    assert records["jd2"]["interprets"] is None
    assert [(w.lineno, w.doc_id) for w in summary.warning_lines] == [(4, "jd2")]
    assert "missing" in summary.warning_lines[0].message


@pytest.mark.django_db
def test_withdraw_update_and_republish():
    import_records([rec("w1", title="原标题")])
    summary = import_records([
        '{"op": "withdraw", "id": "w1"}',
        '{"op": "update", "id": "w1", "title": "修订标题", "body_html": "<p>修订</p><script>x</script>"}',
    ])
    assert summary.withdrawn == 1 and summary.updated == 1
    doc = DisclosureDocument.objects.get(source_id="w1")
    assert not doc.live and doc.title == "修订标题" and doc.body == "<p>修订</p>"
    assert "w1" not in live_ids()
    before = doc.updated_at
    import_records([rec("w1", title="重新发布")])  # only a full record publishes it again
    doc.refresh_from_db()
    assert doc.live and doc.title == "重新发布" and doc.updated_at > before
    assert "w1" in live_ids()


@pytest.mark.django_db
def test_commands_import_export_and_clear_errors(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    body = "\r\n".join([rec("c1"), "{oops", rec("c2", attachments=[{"title": "表", "file": "b.xlsx", "bytes": 10}])])
    src.write_bytes(b"\xef\xbb\xbf" + body.encode() + b"\r\n")  # BOM and CRLF, as Windows tools write
    call_command("import_documents", str(src), "--quiet")
    out, err = capsys.readouterr()
    assert "新增 2" in out and "错误 1" in out
    assert "第 2 行" in err
    with pytest.raises(CommandError) as exc:
        call_command("import_documents", str(src), "--quiet", "--strict")
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("import_documents", str(tmp_path / "missing.jsonl"))

    dest = tmp_path / "out" / "export.jsonl"
    call_command("export_documents", str(dest))
    exported = [orjson.loads(line) for line in dest.read_bytes().splitlines()]
    assert [r["id"] for r in exported] == ["c1", "c2"]
    assert exported[1]["attachments"] == [{"title": "表", "file": "b.xlsx", "bytes": 10, "type": "xlsx", "sha256": None}]
    assert Attachment.objects.get().file_type == "xlsx"
    with pytest.raises(CommandError, match="目录"):
        call_command("export_documents", str(tmp_path))


@pytest.mark.django_db
def test_load_sample_command_is_repeatable(capsys):
    call_command("load_sample", "--docs", "60", "--seed", "2", "--quiet")
    count = DisclosureDocument.objects.count()
    assert count == 60 and Department.objects.count() >= 12
    call_command("load_sample", "--docs", "60", "--seed", "2", "--quiet")
    assert DisclosureDocument.objects.count() == count
    assert "未变 60" in capsys.readouterr().out


@pytest.mark.django_db
def test_one_signal_per_batch_names_what_changed(django_capture_on_commit_callbacks):
    from cms.exchange.importer import documents_imported

    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    documents_imported.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            import_records([rec("g1", index_no=f"{ORGAN}/2024-00001"), rec("g2", index_no=f"{ORGAN}/2024-00002")])
        assert len(seen) == 1 and sorted(seen[0]["source_ids"]) == ["g1", "g2"] and len(seen[0]["created"]) == 2
        seen.clear()
        with django_capture_on_commit_callbacks(execute=True):
            import_records([rec("g1", title="新标题"), rec("g2", index_no=f"{ORGAN}/2024-00002"),
                            '{"op": "withdraw", "id": "g2"}'])
        assert len(seen) == 1 and sorted(seen[0]["source_ids"]) == ["g1", "g2"]
        g1, g2 = (DisclosureDocument.objects.get(source_id=s).pk for s in ("g1", "g2"))
        assert seen[0]["changed"] == [g1] and seen[0]["withdrawn"] == [g2] and seen[0]["created"] == []
        seen.clear()
        with django_capture_on_commit_callbacks(execute=True):
            import_records([rec("g1", title="新标题")])  # unchanged: nothing to announce
        assert seen == []
    finally:
        documents_imported.disconnect(receiver)
