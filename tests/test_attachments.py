"""Issue 13: migrated attachments reach citizens.

``govsite import_documents --files DIR`` stores each file once by content, with its size and type
read from the bytes; a missing file is reported with its line and listed as 暂缺 on the site; an
absolute URL stays an outside link; the built site has no broken internal link; publishing sends
the files with their content types.
"""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from urllib.parse import unquote

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from wagtail.documents import get_document_model
from wagtail.models import Collection, Locale

from cms.admin import permissions
from cms.admin.forms import document_edit_handler
from cms.build import jobs
from cms.demo.files import make_docx, make_ofd, make_pdf, make_xlsx
from cms.exchange.importer import AttachmentFiles
from content_models.files import sniff_type
from content_models.filestore import FileStore
from content_models.models import Attachment, Department, DisclosureDocument
from publish.headers import IMMUTABLE, HeaderRules, content_type
from publish.runner import publish
from tests import test_publish_sites as sites
from tests.helpers.links import broken_links
from tests.test_publish_s3 import target_for

# shared fixtures (a loopback moto server, a client, a fresh bucket)
s3_endpoint, s3, bucket = sites.s3_endpoint, sites.s3, sites.bucket

PDF = make_pdf(["南安市农业补贴申报表", "Subsidy application form"])
DOCX = make_docx(["申报人名单", "第一批"])
XLSX = make_xlsx([["姓名", "金额"], ["张三", "1200"]])
OFD = make_ofd(["南安市人民政府办公室"])


@pytest.fixture()
def env(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.GOVSITE_FILES_DIR = tmp_path / "store"
    settings.GOVSITE_BUILD_PLUGINS = []
    # Documents and their files only: the service modules' pages are checked by their own tests
    # (guides links /appointments/, a page no module writes yet).
    settings.GOVSITE_SERVICE_PAGES = False
    # The admin's editor, as a client that does not run Draftail sends it: raw HTML in the form.
    settings.WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "django.forms.Textarea"}}
    files = tmp_path / "export-files"
    (files / "2024").mkdir(parents=True)
    (files / "2024" / "申报表.pdf").write_bytes(PDF)
    (files / "2024" / "名单.docx").write_bytes(DOCX)
    (files / "明细.xlsx").write_bytes(XLSX)
    (files / "通知.ofd").write_bytes(OFD)
    (files / "scan.doc").write_bytes(PDF)  # a PDF under a Word name, as legacy exports have them
    return tmp_path, files


def _doc(i: int, attachments: list[dict]) -> dict:
    return {
        "id": f"att-{i}", "site": "nyj", "organ": "南安市农业农村局", "title": f"关于农业补贴的通知{i}",
        "published": f"2024-03-0{i}T09:00:00+08:00", "category": "通知公告", "body_html": "<p>正文</p>",
        "attachments": attachments,
    }


RECORDS = [
    _doc(1, [
        {"title": "申报表", "file": "2024/申报表.pdf", "bytes": 1},  # the wrong size: the file's own counts
        {"title": "名单", "file": "/2024/名单.docx", "bytes": None},
        {"title": "遗失的附件", "file": "2024/不存在.pdf", "bytes": 2048},
        {"title": "上级文件", "file": "https://www.gov.cn/zhengce/content/2024/a.pdf", "bytes": 300_000},
    ]),
    _doc(2, [
        {"title": "申报表（同一文件）", "file": "2024/申报表.pdf", "bytes": None},
        {"title": "明细表", "file": "明细.xlsx", "bytes": None},
        {"title": "通知 OFD 版", "file": "通知.ofd", "bytes": None},
        {"title": "扫描件", "file": "scan.doc", "bytes": None},
        {"title": "越界", "file": "../../etc/passwd", "bytes": None},
    ]),
]


def _import(tmp_path: Path, files: Path, records=RECORDS) -> tuple[str, str]:
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_documents", str(jsonl), "--files", str(files), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _store_files(root: Path) -> list[Path]:
    """The stored files (not the store's own bookkeeping, ``.sources.sqlite3``)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


@pytest.mark.django_db
def test_import_with_files_stores_each_file_once_and_reports_the_missing_one(env, monkeypatch):
    tmp_path, files = env
    out, err = _import(tmp_path, files)
    assert "新增 2" in out and "附件文件：读取 6，暂缺 2" in out
    assert "第 1 行（att-1）" in err and "2024/不存在.pdf" in err
    assert "第 2 行（att-2）" in err and "不在附件目录内" in err
    rows = {a.title: a for a in Attachment.objects.all()}
    assert len(rows) == 9  # every attachment is kept, missing ones too
    pdf = rows["申报表"]
    assert (pdf.size_bytes, pdf.file_type) == (len(PDF), "pdf")
    assert rows["申报表（同一文件）"].sha256 == pdf.sha256
    assert (rows["名单"].file_type, rows["明细表"].file_type, rows["通知 OFD 版"].file_type) == ("docx", "xlsx", "ofd")
    assert rows["扫描件"].file_type == "pdf"  # read from the bytes, not the name
    assert rows["遗失的附件"].sha256 == "" and rows["遗失的附件"].size_bytes == 2048
    assert rows["上级文件"].sha256 == "" and rows["上级文件"].file.startswith("https://")
    store = _store_files(tmp_path / "store")
    assert len(store) == 4  # the PDF twice (and as scan.doc) is stored once
    assert sorted(p.read_bytes() for p in store) == sorted([PDF, DOCX, XLSX, OFD])

    # A re-import of the same file and files: nothing changes, nothing is written, no file is read.
    stamps = {p: p.stat().st_mtime_ns for p in store}
    updated = dict(DisclosureDocument.objects.values_list("source_id", "updated_at"))
    reads = []
    original = FileStore.put_path
    monkeypatch.setattr(FileStore, "put_path", lambda self, *a, **k: reads.append(a) or original(self, *a, **k))
    out, _err = _import(tmp_path, files)
    assert "未变 2" in out and reads == []
    assert {p: p.stat().st_mtime_ns for p in _store_files(tmp_path / "store")} == stamps
    assert dict(DisclosureDocument.objects.values_list("source_id", "updated_at")) == updated

    # A source file rewritten since: read again, the attachment follows its new bytes.
    (files / "明细.xlsx").write_bytes(make_xlsx([["姓名", "金额"], ["李四", "900"]]))
    out, _err = _import(tmp_path, files)
    assert "更新 1" in out and len(reads) == 1
    assert Attachment.objects.get(title="明细表").sha256 != rows["明细表"].sha256


@pytest.mark.django_db
def test_a_large_batch_stores_its_files_in_worker_processes_with_the_same_outcome(env, monkeypatch):
    """Batches of many files are stored by worker processes (``AttachmentFiles.POOL_MIN``): the same
    rows, stored files, counts and messages with their line numbers as in the importer's process."""
    tmp_path, files = env
    monkeypatch.setattr(AttachmentFiles, "POOL_MIN", 1)
    out, err = _import(tmp_path, files)
    assert "新增 2" in out and "附件文件：读取 6，暂缺 2" in out
    assert "第 1 行（att-1）" in err and "2024/不存在.pdf" in err
    assert "第 2 行（att-2）" in err and "不在附件目录内" in err
    rows = {a.title: a for a in Attachment.objects.all()}
    assert (rows["申报表"].size_bytes, rows["扫描件"].file_type, rows["通知 OFD 版"].file_type) == (len(PDF), "pdf", "ofd")
    assert rows["遗失的附件"].sha256 == "" and rows["上级文件"].file.startswith("https://")
    assert sorted(p.read_bytes() for p in _store_files(tmp_path / "store")) == sorted([PDF, DOCX, XLSX, OFD])
    # the workers remembered the sources they read (five paths), so a re-import reads none
    with sqlite3.connect(tmp_path / "store" / ".sources.sqlite3") as db:
        assert db.execute("SELECT count(DISTINCT path) FROM seen").fetchone() == (5,)
    out, _err = _import(tmp_path, files)
    assert "未变 2" in out and "读取 6" in out


@pytest.mark.django_db
def test_imported_attachments_on_the_site_link_every_present_file_and_no_dead_link(env):
    tmp_path, files = env
    _import(tmp_path, files)
    call_command("build_site", "--full", verbosity=0)
    site = tmp_path / "site"
    page = (site / "nyj/2024/att-1.html").read_text("utf-8")
    items = re.findall(r"<li[^>]*>.*?</li>", page.split('class="attachments"')[1].split("</section>")[0], re.S)
    assert len(items) == 4
    hrefs = re.findall(r'href="(/files/[^"]+)"', page)
    assert len(hrefs) == 2
    assert "（PDF，" in items[0] and "（DOCX，" in items[1]
    assert "遗失的附件" in items[2] and "暂缺" in items[2] and "href" not in items[2]
    assert 'href="https://www.gov.cn/zhengce/content/2024/a.pdf"' in items[3]
    # The readable name, under the content hash; the bytes are the imported file's.
    first = unquote(hrefs[0])
    assert re.fullmatch(r"/files/[0-9a-f]{2}/[0-9a-f]{14}/申报表\.pdf", first)
    assert (site / first.lstrip("/")).read_bytes() == PDF
    page2 = (site / "nyj/2024/att-2.html").read_text("utf-8")
    assert unquote(re.findall(r'href="(/files/[^"]+)"', page2)[0]) == first  # the same file, one URL
    assert "扫描件.pdf" not in page2 and re.search(r"/scan\.pdf\"", page2)  # served under its real type
    assert "越界" in page2 and "暂缺" in page2
    assert broken_links(site) == {}


def test_content_types_and_caching_of_attachment_files():
    for name, expected in [
        ("files/ab/0123456789abcd/申报表.pdf", "application/pdf"),
        ("files/ab/0123456789abcd/名单.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("files/ab/0123456789abcd/明细.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("files/ab/0123456789abcd/a.xls", "application/vnd.ms-excel"),
        ("files/ab/0123456789abcd/a.doc", "application/msword"),
        ("files/ab/0123456789abcd/通知.ofd", "application/ofd"),
        ("files/ab/0123456789abcd/文字.wps", "application/vnd.ms-works"),
        ("files/ab/0123456789abcd/表格.et", "application/vnd.ms-excel"),
    ]:
        assert content_type(name) == expected, name
        assert HeaderRules().cache_control(name) == IMMUTABLE


def test_type_is_read_from_the_bytes(tmp_path):
    store = FileStore(tmp_path)
    assert store.put_bytes(DOCX, "a.zip").kind == "docx"
    assert store.put_bytes(XLSX, "a").kind == "xlsx"
    assert store.put_bytes(OFD, "x.zip").kind == "ofd"
    assert store.put_bytes(PDF, "a.docx").kind == "pdf"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100
    assert sniff_type(ole, "表格.et") == "et" and sniff_type(ole, "文字.wps") == "wps" and sniff_type(ole, "x") == "doc"
    assert sniff_type(b"hello", "readme.txt") == "txt"


@pytest.mark.django_db(transaction=True)  # the importer queues its changes once a batch commits
def test_a_new_attachment_travels_with_its_document_and_leaves_with_it(env, s3, s3_endpoint, bucket):
    Locale.objects.get_or_create(language_code="zh-hans")  # transactional tests flush migration data
    tmp_path, files = env
    _import(tmp_path, files, RECORDS[:1])
    call_command("build_site", "--full", verbosity=0)
    jobs.run_pending()
    site = tmp_path / "site"
    publish(site, target_for(s3_endpoint, bucket))

    (files / "新增").mkdir()
    (files / "新增" / "补充名单.xlsx").write_bytes(XLSX)
    new = _doc(3, [{"title": "补充名单", "file": "新增/补充名单.xlsx", "bytes": None},
                   {"title": "申报表", "file": "2024/申报表.pdf", "bytes": None}])
    _import(tmp_path, files, [new])
    result = jobs.run_pending()
    assert result["full"] is False
    page = (site / "nyj/2024/att-3.html").read_text("utf-8")
    xlsx_url = unquote(re.search(r'href="(/files/[^"]+\.xlsx)"', page).group(1))
    assert (site / xlsx_url.lstrip("/")).read_bytes() == XLSX
    assert broken_links(site) == {}

    target = target_for(s3_endpoint, bucket)
    summary = publish(site, target)
    assert "files" + xlsx_url.split("/files", 1)[1] in summary.uploads
    assert not any(u.endswith(".pdf") for u in summary.uploads)  # the PDF was already there
    assert target.write_requests < 20
    head = s3.head_object(Bucket=bucket, Key="www/" + xlsx_url.lstrip("/"))
    assert head["ContentType"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    # Withdrawn: its own file leaves the site; the PDF another document attaches stays.
    _import(tmp_path, files, [{"op": "withdraw", "id": "att-3"}])
    jobs.run_pending()
    assert not (site / xlsx_url.lstrip("/")).exists()
    first = (site / "nyj/2024/att-1.html").read_text("utf-8")
    assert (site / unquote(re.search(r'href="(/files/[^"]+\.pdf)"', first).group(1)).lstrip("/")).is_file()
    assert broken_links(site) == {}


@pytest.mark.django_db
def test_upload_in_the_admin_reaches_the_site_and_the_bucket(env, s3, s3_endpoint, bucket):
    tmp_path, _files = env
    dept = Department.objects.create(slug="nyj", name="南安市农业农村局", organ_code="113505830002")
    user = get_user_model().objects.create_superuser("root", password="x")
    upload = get_document_model().objects.create(title="实施方案", file=ContentFile(PDF, name="实施方案.pdf"))
    data = {
        "title": "关于印发实施方案的通知", "department": str(dept.pk), "organ": dept.name, "doc_no": "",
        "index_no": "", "written": "", "published_at": "2025-03-01 09:00", "category": "通知公告",
        "topic": "", "validity": "", "keywords": "", "summary": "", "body": "<p>正文</p>", "interprets": "",
        "replaced_by": "", "attachments-TOTAL_FORMS": "2", "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0", "attachments-MAX_NUM_FORMS": "1000",
        "attachments-0-title": "实施方案", "attachments-0-upload": str(upload.pk), "attachments-0-file": "",
        "attachments-0-ORDER": "2", "attachments-0-id": "", "attachments-0-DELETE": "",
        "attachments-1-title": "上级文件", "attachments-1-upload": "",
        "attachments-1-file": "https://www.gov.cn/a.pdf", "attachments-1-ORDER": "1", "attachments-1-id": "",
        "attachments-1-DELETE": "",
    }
    form_class = document_edit_handler.bind_to_model(DisclosureDocument).get_form_class()
    form = form_class(data, instance=DisclosureDocument(), for_user=user)
    assert form.is_valid(), form.errors
    doc = form.save()
    doc.save_revision(user=user).publish(user=user)
    rows = list(doc.attachments.order_by("sort_order").values("title", "file", "file_type", "size_bytes", "sha256"))
    assert [r["title"] for r in rows] == ["上级文件", "实施方案"]  # the editor's order
    assert rows[1]["file_type"] == "pdf" and rows[1]["size_bytes"] == len(PDF) and len(rows[1]["sha256"]) == 64

    call_command("build_site", "--full", verbosity=0)
    site = tmp_path / "site"
    publish(site, target_for(s3_endpoint, bucket))

    # A second document with a new upload: an incremental build, then a publish of only what changed.
    upload2 = get_document_model().objects.create(title="名单", file=ContentFile(DOCX, name="名单.docx"))
    data2 = dict(data, title="第二份通知", **{"attachments-TOTAL_FORMS": "1", "attachments-0-upload": str(upload2.pk),
                                            "attachments-0-title": "名单"})
    form = form_class(data2, instance=DisclosureDocument(), for_user=user)
    assert form.is_valid(), form.errors
    doc2 = form.save()
    doc2.save_revision(user=user).publish(user=user)
    assert jobs.run_pending()["full"] is False
    page = next((site / "nyj/2025").glob(f"{doc2.source_id}.html")).read_text("utf-8")
    url = re.search(r'href="(/files/[^"]+/名单\.docx)"', unquote(page)).group(1)
    assert (site / url.lstrip("/")).read_bytes() == DOCX
    assert "（DOCX，" in page
    target = target_for(s3_endpoint, bucket)
    summary = publish(site, target)
    assert url.lstrip("/") in summary.uploads and target.write_requests < 20
    got = s3.get_object(Bucket=bucket, Key="www/" + url.lstrip("/"))
    assert got["Body"].read() == DOCX
    assert got["ContentType"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    # ... and in the documents API, with the same file URL
    api = Client().get(f"/api/documents/{doc2.pk}").json()
    assert api["attachments"][0]["url"] == url


@pytest.mark.django_db
def test_an_editor_attaches_only_files_of_the_departments_collection(env):
    own = Department.objects.create(slug="nyj", name="南安市农业农村局", organ_code="113505830002")
    other = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001")
    editor = get_user_model().objects.create_user("editor", password="x")
    editor.groups.add(permissions.ensure_department_group(own))
    theirs = get_document_model().objects.create(
        title="别人的文件", file=ContentFile(PDF, name="a.pdf"), collection=permissions.department_collection(other))
    mine = get_document_model().objects.create(
        title="本部门文件", file=ContentFile(DOCX, name="b.docx"), collection=permissions.department_collection(own))
    data = {
        "title": "通知", "department": str(own.pk), "organ": own.name, "doc_no": "", "index_no": "", "written": "",
        "published_at": "2025-03-01 09:00", "category": "通知公告", "topic": "", "validity": "", "keywords": "",
        "summary": "", "body": "<p>正文</p>", "interprets": "", "replaced_by": "",
        "attachments-TOTAL_FORMS": "1", "attachments-INITIAL_FORMS": "0", "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000", "attachments-0-title": "附件", "attachments-0-file": "",
        "attachments-0-ORDER": "1", "attachments-0-id": "", "attachments-0-DELETE": "",
    }
    form_class = document_edit_handler.bind_to_model(DisclosureDocument).get_form_class()
    form = form_class({**data, "attachments-0-upload": str(theirs.pk)}, instance=DisclosureDocument(), for_user=editor)
    assert not form.is_valid()
    assert "本部门文件库" in str(form.formsets["attachments"].forms[0].errors)
    form = form_class({**data, "attachments-0-upload": str(mine.pk)}, instance=DisclosureDocument(), for_user=editor)
    assert form.is_valid(), form.errors
    # the group may add and choose files in its own collection (Wagtail's collection permissions)
    assert permissions.department_collection(own) in Collection.objects.filter(
        group_permissions__group__in=editor.groups.all(), group_permissions__permission__codename="choose_document")


def _zips() -> dict[str, bytes]:
    """ZIP archives of every layout the type sniffing meets: Office, WPS and OFD writers' plain one,
    and the ones whose member list ``zipfile`` itself reads (comment, extra fields, prepended bytes,
    a damaged directory, a legacy code-page name)."""
    import zipfile

    def made(*, comment=b"", extra=b"", name="word/document.xml", flags=0) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            info = zipfile.ZipInfo(name)
            info.extra = extra
            info.flag_bits |= flags
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr(info, "<w:document/>")
            zf.comment = comment
        return buf.getvalue()

    plain = made()
    cut = plain.rfind(b"PK\x01\x02")
    return {
        "docx": DOCX, "xlsx": XLSX, "ofd": OFD, "plain": plain,
        "comment": made(comment=b"exported by OA"),
        "extra": made(extra=b"\xfe\xca\x00\x00"),
        "prepended": b"MZ stub" + plain,
        "utf8-name": made(name="xl/\u00e9.xml"),  # zipfile flags a non-ASCII name as UTF-8
        "legacy-name": plain.replace(b"word/document.xml", b"word/\x82ocument.xml"),
        "damaged": plain[:cut] + b"PK\x01\x03" + plain[cut + 4 :],
        "truncated": plain[: len(plain) - 30] + plain[-22:],
    }


@pytest.mark.parametrize("label", list(_zips()))
def test_the_zip_member_list_read_for_the_type_is_the_one_zipfile_reads(label, tmp_path):
    """Word, Excel and OFD files are told apart by their member names, read without zipfile for the
    plain layout; the type stored is the one zipfile's member list gives, for every layout."""
    import zipfile

    from content_models.filestore import _zip_names

    data = _zips()[label]
    try:
        expected = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        expected = None
    fast = _zip_names(data)
    assert fast is None or fast == expected
    if label in ("docx", "xlsx", "ofd", "plain", "legacy-name"):
        assert fast is not None  # the common case does not go through zipfile
    stored = FileStore(tmp_path / "store").put_bytes(data, "附件.bin")
    assert stored.kind == sniff_type(data[:16], "附件.bin", expected[:200] if expected is not None else None)


@pytest.mark.django_db
def test_symlinks_in_the_files_directory_are_followed_inside_it_and_refused_outside(env):
    """A symlink to a file or directory inside the files directory imports its file; one that leads
    outside is reported (不在附件目录内); a symlink loop is reported as unreadable; the rest imports."""
    tmp_path, files = env
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "a.pdf").write_bytes(PDF)
    (files / "link.pdf").symlink_to(files / "2024" / "申报表.pdf")
    (files / "dir-link").symlink_to(files / "2024")
    (files / "out.pdf").symlink_to(outside / "a.pdf")
    (files / "out-dir").symlink_to(outside)
    (files / "loop.pdf").symlink_to(files / "loop.pdf")
    records = [_doc(1, [
        {"title": "链接", "file": "link.pdf", "bytes": None},
        {"title": "目录链接", "file": "dir-link/名单.docx", "bytes": None},
        {"title": "外部文件", "file": "out.pdf", "bytes": None},
        {"title": "外部目录", "file": "out-dir/a.pdf", "bytes": None},
        {"title": "循环", "file": "loop.pdf", "bytes": None},
        {"title": "目录本身", "file": "2024/", "bytes": None},
    ])]
    out, err = _import(tmp_path, files, records)
    assert "新增 1" in out and "附件文件：读取 2，暂缺 4" in out
    rows = {a.title: a for a in Attachment.objects.all()}
    assert (rows["链接"].file_type, rows["目录链接"].file_type) == ("pdf", "docx")
    assert all(rows[t].sha256 == "" for t in ("外部文件", "外部目录", "循环", "目录本身"))
    assert "外部文件" in err and "out.pdf" in err and err.count("不在附件目录内") == 2
    assert "“循环”的文件无法读取" in err
    assert "“目录本身”的路径是目录" in err
