"""Bulk import of documents from the JSONL exchange format (docs/exchange-format.md).

Why not the model API: saving a snippet one by one with revisions runs at tens of documents a
second, and 200,000 documents must import in minutes. So lines are read as a stream, checked
one by one in memory (a bad line is reported with its number and skipped, never half-written),
and each batch is written with bulk_create/bulk_update in one transaction. Importing is
idempotent on ``id``: the same file twice leaves the same documents (the second run reports
them as unchanged). Bulk writes send no per-row signals; ``documents_imported`` is sent once
per committed batch instead, so the site build and the search index can react.
"""

import os
import re
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.validators import slug_re
from django.db import connection, connections, router, transaction
from django.dispatch import Signal
from django.utils import timezone
from wagtail.models import Locale

from content_models import identifiers, vocabularies
from content_models.files import file_type
from content_models.filestore import FileStore, SeenSources
from content_models.models import Attachment, Department, DisclosureDocument, IndexNoCounter
from content_models.record import CHANGE_OPS, split_keywords
from content_models.sanitizer import clean_html, clean_text, has_control_chars, needs_cleaning
from site_generator.processes import fork_pool

BATCH_SIZE = 1000
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
MAX_PROBLEMS_KEPT = 1000  # all are counted; the first ones are kept for the summary

# Sent after each committed batch (bulk writes send no post_save): ``created``, ``changed`` and
# ``withdrawn`` are lists of document pks, ``source_ids`` the ids (``id`` field) of all of them.
documents_imported = Signal()


# Model fields an import writes, besides the Wagtail publishing state.
CONTENT_FIELDS = (
    "department_id", "organ", "index_no", "doc_no", "title", "category", "topic", "written",
    "published_at", "validity", "keywords", "summary", "body", "lang",
)
LINK_FIELDS = ("interprets", "replaced_by")
# Record key -> model field, for the fields a partial (``update``) record may carry.
_RECORD_TO_MODEL = {
    "site": "department_id", "organ": "organ", "index_no": "index_no", "doc_no": "doc_no",
    "title": "title", "category": "category", "topic": "topic", "written": "written",
    "published": "published_at", "validity": "validity", "keywords": "keywords",
    "summary": "summary", "body_html": "body", "lang": "lang",
}


@dataclass
class Problem:
    """One bad line (skipped) or warning (imported, with a remark)."""

    lineno: int
    doc_id: str | None
    message: str

    def __str__(self) -> str:
        who = f"（{self.doc_id}）" if self.doc_id else ""
        return f"第 {self.lineno} 行{who}：{self.message}"


@dataclass
class ImportSummary:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    bad: int = 0
    warnings: int = 0
    files_stored: int = 0  # attachment files read from --files (identical ones stored once)
    files_missing: int = 0  # attachments whose file is not there: listed as 暂缺 on the site
    seconds: float = 0.0
    bad_lines: list[Problem] = field(default_factory=list)
    warning_lines: list[Problem] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Lines per second."""
        return self.lines / self.seconds if self.seconds > 0 else 0.0

    def as_text(self) -> str:
        files = ""
        if self.files_stored or self.files_missing:
            files = f"；附件文件：读取 {self.files_stored}，暂缺 {self.files_missing}"
        return (
            f"导入完成：共 {self.lines} 行，新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}，"
            f"撤回 {self.withdrawn}，错误 {self.bad}，警告 {self.warnings}{files}；"
            f"用时 {self.seconds:.1f} 秒，每秒 {self.rate:.0f} 行"
        )


class BadRecord(ValueError):
    """The line is skipped; the message (Chinese) says why."""


# One attachment as the importer compares and writes it: (title, file, bytes, type, sha256).
AttachmentRow = tuple[str, str, int | None, str, str]


@dataclass
class _Op:
    lineno: int
    kind: str  # "full", "update" or "withdraw"
    sid: str
    values: dict[str, Any]  # model field -> value (department as slug under "site")
    attachments: list[AttachmentRow] | None
    links: dict[str, str | None]  # "interprets"/"replaced_by" -> target source id
    warnings: list[str]


# ---------------------------------------------------------------- checking one line (no DB)

# Dates a disclosure document can carry: anything else is a typo or a placeholder (0001-01-01,
# 9999-12-31), and year 1 or 9999 with an offset does not even convert to UTC.
MIN_YEAR, MAX_YEAR = 1900, 2100
# Record keys holding running text (line breaks kept); the other text keys are one line.
_MULTILINE_KEYS = frozenset({"summary", "body_html"})
# Language codes a record may carry, besides the site's own (settings.LANGUAGES), and what they mean.
_LANG_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh_cn": "zh-hans", "zh-hans-cn": "zh-hans", "zh_hans": "zh-hans",
                 "en-us": "en", "en-gb": "en", "en_us": "en"}


def max_body_bytes() -> int:
    """The largest body a line may bring (``GOVSITE_IMPORT_MAX_BODY_BYTES``, 5 MB by default)."""
    return int(getattr(settings, "GOVSITE_IMPORT_MAX_BODY_BYTES", 5 * 1024 * 1024))


def _strip_controls(rec: dict, warnings: list[str]) -> dict:
    """Remove control characters (NUL included) from every text value of the record, saying which
    fields had them; one-line fields lose their line breaks too (silently: a wrapped title)."""
    out = dict(rec)
    for key, value in rec.items():
        if isinstance(value, str):
            if has_control_chars(value):
                warnings.append(f"字段“{key}”含控制字符或无效字符，已删除")
                out[key] = clean_text(value, multiline=key in _MULTILINE_KEYS)
            elif needs_cleaning(value, multiline=key in _MULTILINE_KEYS):  # else clean_text leaves it as it is
                out[key] = clean_text(value)
        elif key == "keywords" and isinstance(value, list):
            if any(isinstance(k, str) and has_control_chars(k) for k in value):
                warnings.append("字段“keywords”含控制字符或无效字符，已删除")
            out[key] = [clean_text(k) if isinstance(k, str) else k for k in value]
        elif key == "attachments" and isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, dict):
                    if any(isinstance(v, str) and has_control_chars(v) for v in item.values()):
                        warnings.append("附件（attachments）含控制字符或无效字符，已删除")
                    item = {k: clean_text(v) if isinstance(v, str) else v for k, v in item.items()}
                items.append(item)
            out[key] = items
    return out


def _in_range(value: datetime | date, label: str, raw: Any) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise BadRecord(f"{label}超出范围：“{raw}”，年份应在 {MIN_YEAR}–{MAX_YEAR} 之间")


def _lang(rec: dict) -> str:
    raw = _text(rec, "lang", 16)
    if not raw:
        return "zh-hans"
    code = raw.lower()
    code = _LANG_ALIASES.get(code, code)
    known = [c for c, _name in settings.LANGUAGES]
    if code not in known:
        raise BadRecord(f"未知的语言“{raw}”，应为 {'、'.join(known)}")
    return code


def _text(rec: dict, key: str, max_len: int, *, required: bool = False) -> str:
    value = rec.get(key)
    if value is None or value == "":
        if required:
            raise BadRecord(f"缺少必填字段“{key}”")
        return ""
    if not isinstance(value, str):
        raise BadRecord(f"字段“{key}”应为字符串")
    value = value.strip()
    if required and not value:
        raise BadRecord(f"必填字段“{key}”为空")
    if len(value) > max_len:
        raise BadRecord(f"字段“{key}”过长（{len(value)} 字，最多 {max_len} 字）")
    return value


def _published(rec: dict) -> datetime:
    raw = rec.get("published")
    if not isinstance(raw, str) or not raw.strip():
        raise BadRecord("缺少必填字段“published”（发布日期）")
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadRecord(f"发布日期格式不正确：“{raw}”，应为 ISO 8601，例如 2024-03-01T09:30:00+08:00") from None
    _in_range(value, "发布日期", raw)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _written(rec: dict) -> date | None:
    raw = rec.get("written")
    if raw is None or raw == "":
        return None
    try:
        value = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise BadRecord(f"成文日期格式不正确：“{raw}”，应为 YYYY-MM-DD") from None
    _in_range(value, "成文日期", raw)
    return value


def _keywords(rec: dict) -> list[str]:
    raw = rec.get("keywords")
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return split_keywords(raw)
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise BadRecord("主题词（keywords）应为字符串列表")
    return [k.strip() for k in raw if k.strip()]


def _attachments(rec: dict) -> list[AttachmentRow]:
    raw = rec.get("attachments")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRecord("附件（attachments）应为列表")
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise BadRecord(f"第 {i} 个附件应为对象 {{title, file, bytes}}")
        file = _text(item, "file", 500, required=True)
        title = _text(item, "title", 500) or file.rsplit("/", 1)[-1]
        size = item.get("bytes")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise BadRecord(f"第 {i} 个附件的大小（bytes）应为非负整数")
        sha = item.get("sha256") or ""
        if not isinstance(sha, str) or (sha and not _SHA256.fullmatch(sha)):
            raise BadRecord(f"第 {i} 个附件的摘要（sha256）应为 64 位十六进制字符串")
        kind = item.get("type") or ""
        if not isinstance(kind, str) or len(kind) > 16:
            raise BadRecord(f"第 {i} 个附件的类型（type）应为不超过 16 字的字符串")
        out.append((title, file, size, kind.lower() or file_type(file), sha.lower()))
    return out


def is_outside_link(file: str) -> bool:
    """An attachment given as an absolute http(s) URL: kept as a link to another site."""
    return file.lower().startswith(("http://", "https://"))


def _link(rec: dict, key: str) -> str | None:
    value = rec.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 128:
        raise BadRecord(f"字段“{key}”应为文件标识（字符串）")
    return value.strip()


def _field_values(rec: dict, keys: Iterable[str], warnings: list[str]) -> dict[str, Any]:
    """Check and convert the given record keys into model values (department kept as slug)."""
    out: dict[str, Any] = {}
    for key in keys:
        if key == "site":
            site = _text(rec, "site", 64, required=True)
            if not slug_re.match(site):  # the admin's rule for a department's 站点代号 (SlugField)
                raise BadRecord(f"站点代号“{site}”只能包含字母、数字、下划线和连字符")
            out["site"] = site
        elif key == "organ":
            out["organ"] = _text(rec, "organ", 128, required=True)
        elif key == "title":
            out["title"] = _text(rec, "title", 500, required=True)
        elif key == "published":
            out["published_at"] = _published(rec)
        elif key == "body_html":
            body = rec.get("body_html")
            if body is None:
                body = ""
            if not isinstance(body, str):
                raise BadRecord("正文（body_html）应为字符串")
            limit = max_body_bytes()
            if len(body) * 3 > limit and len(body.encode("utf-8", "replace")) > limit:
                raise BadRecord(f"正文（body_html）过大（{len(body.encode('utf-8', 'replace')) / 1048576:.1f} MB，"
                                f"最多 {limit / 1048576:.1f} MB，见 GOVSITE_IMPORT_MAX_BODY_BYTES）")
            out["body"] = clean_html(body)
        elif key == "index_no":
            index_no = identifiers.fold_width(_text(rec, "index_no", 64))
            if index_no:
                try:
                    identifiers.parse_index_no(index_no)
                except identifiers.InvalidIdentifier as exc:
                    warnings.append(f"{exc}；已按原样保存")
            out["index_no"] = index_no
        elif key == "doc_no":
            doc_no = _text(rec, "doc_no", 64)
            if doc_no:
                try:
                    doc_no = identifiers.normalize_doc_no(doc_no)
                except identifiers.InvalidIdentifier as exc:
                    warnings.append(f"{exc}；已按原样保存")
            out["doc_no"] = doc_no
        elif key in ("category", "topic"):
            out[key] = _text(rec, key, 32)
        elif key == "validity":
            validity = _text(rec, "validity", 4)
            if validity and validity not in vocabularies.VALIDITY:
                raise BadRecord(f"有效性“{validity}”不正确，应为 有效、失效 或 废止")
            out["validity"] = validity
        elif key == "written":
            out["written"] = _written(rec)
        elif key == "keywords":
            out["keywords"] = _keywords(rec)
        elif key == "summary":
            out["summary"] = _text(rec, "summary", 100_000)
        elif key == "lang":
            out["lang"] = _lang(rec)
    return out


def parse_line(lineno: int, raw: bytes | str | dict) -> _Op:
    """Check one line on its own (no database); raise BadRecord with a Chinese reason."""
    if isinstance(raw, dict):
        rec = raw
    else:
        try:
            rec = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if "surrogate" in str(exc):
                raise BadRecord(f"含无效的 Unicode 字符（单独的代理项），不是有效的 JSON（{exc}）") from None
            raise BadRecord(f"不是有效的 JSON（{exc}）") from None
    if not isinstance(rec, dict):
        raise BadRecord("不是 JSON 对象")
    warnings: list[str] = []
    rec = _strip_controls(rec, warnings)
    op = rec.get("op")
    if op is not None and op not in CHANGE_OPS:
        raise BadRecord(f"未知的操作“{op}”，应为 create、update 或 withdraw")
    sid = _text(rec, "id", 128, required=True)
    if op == "withdraw":
        return _Op(lineno, "withdraw", sid, {}, None, {}, warnings)
    if op == "update":
        keys = [k for k in _RECORD_TO_MODEL if k in rec]
        if not keys and "attachments" not in rec and not any(k in rec for k in LINK_FIELDS):
            raise BadRecord("更新记录没有任何要更新的字段")
        values = _field_values(rec, keys, warnings)
        attachments = _attachments(rec) if "attachments" in rec else None
        links = {k: _link(rec, k) for k in LINK_FIELDS if k in rec}
        return _Op(lineno, "update", sid, values, attachments, links, warnings)
    values = _field_values(rec, _RECORD_TO_MODEL, warnings)
    links = {k: _link(rec, k) for k in LINK_FIELDS}
    return _Op(lineno, "full", sid, values, _attachments(rec), links, warnings)


# ---------------------------------------------------------------- index numbers


def allocate_index_nos(organ_code: str, year: int, count: int, *, reserved: set[str] = frozenset()) -> list[str]:
    """Hand out ``count`` new 索引号 for an organ and year, skipping any number already used.

    The counter (IndexNoCounter) is locked for the transaction, so two writers never get the same
    number; numbers taken by documents (or in ``reserved``) are skipped, so generated numbers never
    collide with imported ones. Call inside ``transaction.atomic``.
    """
    counter, _ = IndexNoCounter.objects.select_for_update().get_or_create(organ_code=organ_code, year=year)
    serial = counter.last_serial
    out: list[str] = []
    while len(out) < count:
        need = count - len(out)
        candidates = [identifiers.make_index_no(organ_code, year, s) for s in range(serial + 1, serial + 1 + need)]
        # exclude(index_no="") lets SQLite use the partial unique index (else: a full scan).
        taken = set(
            DisclosureDocument.objects.filter(index_no__in=candidates).exclude(index_no="").order_by()
            .values_list("index_no", flat=True)
        )
        out.extend(c for c in candidates if c not in taken and c not in reserved)
        serial += need
    counter.last_serial = serial
    counter.save(update_fields=["last_serial"])
    return out


def assign_organ_code(department_pk: int) -> str:
    """Give a department without 机构代码 one (portal prefix + serial, unused) and return it."""
    prefix = settings.GOVSITE_PORTAL.get("organ_code_prefix", "")
    used = set(Department.objects.exclude(organ_code="").values_list("organ_code", flat=True))
    n = Department.objects.count()
    code = f"{prefix}{n:05d}"
    while code in used:
        n += 1
        code = f"{prefix}{n:05d}"
    Department.objects.filter(pk=department_pk).update(organ_code=code)
    return code


# ---------------------------------------------------------------- the import


class AttachmentFiles:
    """Where an import finds attachment files (``--files DIR``) and where it stores them.

    A relative ``file`` is read from ``files_dir`` (never from outside it) and stored once by its
    content (``content_models.filestore``), its size and type taken from the bytes. A file that is
    missing or unreadable is reported with the line and the attachment is kept without a file
    (the site lists it as 暂缺); the rest of the line imports.
    """

    # Worker processes that read, hash and store the files of a batch while the previous batch is
    # written to the database (the importer's own process stays on the database). Threads were
    # tried: with the GIL handed over at every system call, the files cost 0.86 ms of CPU each
    # at 200,000 documents. A batch with fewer files than POOL_MIN is stored in the importer.
    PROCESSES = 2
    POOL_MIN = 64

    def __init__(self, store: FileStore, files_dir: str | os.PathLike | None = None):
        self.store = store
        self.files_dir = Path(files_dir).resolve() if files_dir is not None else None
        self.seen = SeenSources(store) if self.files_dir is not None else None  # re-imports read nothing
        self._pool: Pool | None = None
        self._dirs: dict[str, str] = {}  # a relative directory -> its real path (symlinks resolved)
        self._root = str(self.files_dir)
        self._prefix = os.path.join(self._root, "")

    def flush(self) -> None:
        if self.seen is not None:
            self.seen.flush()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def resolve_reporting(self, item: AttachmentRow) -> tuple[AttachmentRow, bool | None, list[str]]:
        """``resolve`` with the messages it reports kept (for the importer's line numbers)."""
        messages: list[str] = []
        row, stored = self.resolve(item, messages.append)
        return row, stored, messages

    def submit(self, items: list[AttachmentRow]) -> Callable[[], list[tuple[AttachmentRow, bool | None, list[str]]]]:
        """Start resolving ``items`` in the worker processes; the returned function waits for them
        and gives, in order, each attachment, its flag (``resolve``) and the messages to report."""
        if self.files_dir is None or len(items) < self.POOL_MIN:
            done = [self.resolve_reporting(item) for item in items]
            return lambda: done
        if self._pool is None:
            self._pool = fork_pool(self.PROCESSES)
        size = -(-len(items) // self.PROCESSES)
        jobs = [(str(self.store.root), str(self.files_dir), items[i : i + size]) for i in range(0, len(items), size)]
        pending = self._pool.map_async(_resolve_in_worker, jobs)
        return lambda: [result for part in pending.get() for result in part]

    def resolve(self, item: AttachmentRow, report: Callable[[str], None]) -> tuple[AttachmentRow, bool | None]:
        """The attachment with its stored file; the flag says stored (True), missing (False) or n/a (None)."""
        title, file, size, kind, sha = item
        if is_outside_link(file):
            return (title, file, size, kind, ""), None
        if self.files_dir is None:
            return (item if sha and self.store.has(sha) else (title, file, size, kind, "")), None
        try:
            source, st = self._source(file.lstrip("/\\"))
        except (OSError, ValueError):  # a NUL byte, a symlink loop
            source = st = None
        if source is None or not (source == self._root or source.startswith(self._prefix)):
            report(f"附件“{title}”的路径“{file}”不在附件目录内，已按暂缺导入")
            return (title, file, size, kind, ""), False
        try:
            stored = self.seen.put(source, file.rsplit("/", 1)[-1], st)
        except FileNotFoundError:
            report(f"附件“{title}”的文件不存在：{file}，已按暂缺导入")
            return (title, file, size, kind, ""), False
        except IsADirectoryError:
            report(f"附件“{title}”的路径是目录，不是文件：{file}，已按暂缺导入")
            return (title, file, size, kind, ""), False
        except OSError as exc:
            report(f"附件“{title}”的文件无法读取：{file}（{exc.strerror}），已按暂缺导入")
            return (title, file, size, kind, ""), False
        return (title, file, stored.size, stored.kind or kind, stored.sha256), True


    def _source(self, rel: str) -> tuple[str, os.stat_result | None]:
        """``(files_dir / rel).resolve()`` as a string, and the file's ``os.stat`` when it was read on
        the way (None: not read, or no such file). Each directory is resolved once; then only the
        file itself is looked at (one ``lstat``), unless it is a symlink."""
        parent, _, leaf = rel.rpartition("/")
        if leaf in ("", ".", ".."):
            return os.path.realpath(os.path.join(self._root, rel)), None
        directory = self._dirs.get(parent)
        if directory is None:
            directory = self._dirs[parent] = os.path.realpath(os.path.join(self._root, parent))
        path = os.path.join(directory, leaf)
        try:
            st = os.lstat(path)
        except OSError:  # realpath keeps such a name as it is; reading it reports the error
            return path, None
        if stat.S_ISLNK(st.st_mode):
            return os.path.realpath(path), None
        return path, st


_WORKER_FILES: dict[tuple[str, str], AttachmentFiles] = {}


def _resolve_in_worker(job: tuple[str, str, list[AttachmentRow]]) -> list[tuple[AttachmentRow, bool | None, list[str]]]:
    """``AttachmentFiles.resolve_reporting`` for a part of a batch, in a worker process (its own
    connection to the store's source cache, written before the part is answered)."""
    root, files_dir, items = job
    files = _WORKER_FILES.get((root, files_dir))
    if files is None:
        files = _WORKER_FILES[(root, files_dir)] = AttachmentFiles(FileStore(root), files_dir)
    out = [files.resolve_reporting(item) for item in items]
    files.flush()
    return out


class _Importer:
    def __init__(self, summary: ImportSummary, on_problem: Callable[[str, Problem], None] | None,
                 files: AttachmentFiles | None = None) -> None:
        self.summary = summary
        self.on_problem = on_problem
        self.files = files
        self._found: list[tuple[str, Problem]] = []
        self.locale_id = Locale.get_default().pk
        self.departments: dict[str, list] = {
            d.slug: [d.pk, d.organ_code] for d in Department.objects.only("pk", "slug", "organ_code")
        }
        self.slug_by_pk: dict[int, str] = {v[0]: k for k, v in self.departments.items()}
        self.pending_links: list[tuple[int, str, str, str]] = []  # (lineno, sid, field, target)
        self.needs_index_no: list[tuple[int, int, int]] = []  # (pk, department pk, year)
        self.counter_max: dict[tuple[str, int], int] = {}  # highest imported serial, written at the end
        self.counters: dict[tuple[str, int], int] = {
            (c.organ_code, c.year): c.last_serial for c in IndexNoCounter.objects.all()
        }

    # -- reporting

    def bad(self, lineno: int, sid: str | None, message: str) -> None:
        self.summary.bad += 1
        self._found.append(("error", Problem(lineno, sid, message)))

    def warn(self, lineno: int, sid: str | None, message: str) -> None:
        self.summary.warnings += 1
        self._found.append(("warning", Problem(lineno, sid, message)))

    def flush_problems(self) -> None:
        """Report the problems found in a batch in line order (checks run in two passes)."""
        found, self._found = self._found, []
        for kind, problem in sorted(found, key=lambda item: item[1].lineno):
            kept = self.summary.bad_lines if kind == "error" else self.summary.warning_lines
            if len(kept) < MAX_PROBLEMS_KEPT:
                kept.append(problem)
            if self.on_problem:
                self.on_problem(kind, problem)

    # -- index-number counters

    def bump_counters(self, maxima: dict[tuple[str, int], int]) -> None:
        """Make sure generated serials start above every imported one (per organ code and year).

        Known counter values are cached, so a batch only touches the counters it raises; those
        are locked, raised and written with one query each for reading, updating and creating.
        """
        changed = {k: v for k, v in maxima.items() if v > self.counters.get(k, -1)}
        if not changed:
            return
        rows = {
            (c.organ_code, c.year): c
            for c in IndexNoCounter.objects.select_for_update().filter(
                organ_code__in={k[0] for k in changed}, year__in={k[1] for k in changed}
            )
        }
        to_create, to_update = [], []
        for key, serial in changed.items():
            counter = rows.get(key)
            if counter is None:
                to_create.append(IndexNoCounter(organ_code=key[0], year=key[1], last_serial=serial))
            elif counter.last_serial < serial:
                counter.last_serial = serial
                to_update.append(counter)
            self.counters[key] = max(serial, counter.last_serial if counter else 0)
        IndexNoCounter.objects.bulk_create(to_create, batch_size=500)
        IndexNoCounter.objects.bulk_update(to_update, ["last_serial"], batch_size=500)

    # -- departments

    def department(self, slug: str, organ: str, index_no: str) -> list:
        """[pk, organ_code] of the site; an unknown slug becomes a new department named after the organ."""
        dept = self.departments.get(slug)
        organ_code = ""
        if index_no and (dept is None or not dept[1]):
            try:
                organ_code = identifiers.parse_index_no(index_no)[0]
            except identifiers.InvalidIdentifier:
                pass
        if dept is not None and not dept[1] and organ_code:
            # A department first seen without 索引号 learns its organ code from a later record.
            Department.objects.filter(pk=dept[0]).update(organ_code=organ_code)
            dept[1] = organ_code
        if dept is None:
            # create(), not bulk_create(): post_save gives the department its editors' group.
            obj = Department.objects.create(slug=slug, name=organ or slug, organ_code=organ_code)
            dept = self.departments[slug] = [obj.pk, obj.organ_code]
            self.slug_by_pk[obj.pk] = slug
        return dept

    def organ_code_for(self, slug: str) -> str:
        """The department's organ code; one is assigned (portal prefix + serial) when it has none."""
        dept = self.departments[slug]
        if not dept[1]:
            dept[1] = assign_organ_code(dept[0])
        return dept[1]

    # -- one batch

    def start_files(self, parsed: list["_Op | Problem"]) -> Callable[[], list] | None:
        """Start storing the attachment files of a checked batch (in the worker processes), so they are
        read while the batch before it is written; ``run_batch`` takes the returned handle."""
        if self.files is None:
            return None
        return self.files.submit([item for op in parsed if isinstance(op, _Op) for item in op.attachments or ()])

    def run_batch(self, parsed: list["_Op | Problem"], files: Callable[[], list] | None = None) -> None:
        """Write one batch of checked lines (see parse_chunk) in one transaction; ``files`` is the
        batch's ``start_files`` handle (started here when not given)."""
        ops: list[_Op] = []
        for item in parsed:
            if isinstance(item, Problem):
                self.bad(item.lineno, item.doc_id, item.message)
            else:
                ops.append(item)
        if files is None:
            files = self.start_files(parsed)
        self.store_files(ops, files)
        if not ops:
            return
        sids = {op.sid for op in ops}
        claimed = {op.values["index_no"] for op in ops if op.values.get("index_no")}
        with transaction.atomic():
            existing = {
                row["source_id"]: row
                for row in DisclosureDocument.objects.filter(locale_id=self.locale_id, source_id__in=sids).order_by().values(
                    "id", "source_id", "live", "first_published_at", *CONTENT_FIELDS,
                    "interprets__source_id", "replaced_by__source_id",
                )
            }
            for row in existing.values():
                row["interprets"] = row.pop("interprets__source_id")
                row["replaced_by"] = row.pop("replaced_by__source_id")
            owners = dict(
                DisclosureDocument.objects.filter(locale_id=self.locale_id, index_no__in=claimed)
                .exclude(index_no="")  # lets SQLite use the partial unique index (else: a full scan)
                .order_by()
                .values_list("index_no", "source_id")
            )
            self._apply(ops, existing, owners)

    def store_files(self, ops: list[_Op], files: Callable[[], list] | None) -> None:
        """The batch's attachments with their stored files (before the transaction: file IO holds
        no lock); ``files`` is the ``start_files`` handle of the same batch."""
        if self.files is None or files is None:
            return
        results = iter(files())
        for op in ops:
            if not op.attachments:
                continue
            resolved = []
            for _item in op.attachments:
                row, stored, messages = next(results)
                for message in messages:
                    self.warn(op.lineno, op.sid, message)
                if stored is True:
                    self.summary.files_stored += 1
                elif stored is False:
                    self.summary.files_missing += 1
                resolved.append(row)
            op.attachments = resolved
        self.files.flush()

    def _apply(self, ops: list[_Op], existing: dict[str, dict], owners: dict[str, str]) -> None:
        existing_attachments: dict[int, list[tuple]] = {}
        if existing:
            rows = (
                Attachment.objects.filter(document_id__in=[r["id"] for r in existing.values()])
                .order_by("document_id", "sort_order", "id")
                .values_list("document_id", "title", "file", "size_bytes", "file_type", "sha256")
            )
            for doc_id, *rest in rows:
                existing_attachments.setdefault(doc_id, []).append(tuple(rest))

        # state: sid -> current values (model fields + "pk", "live", "attachments", "dirty", "lines")
        state: dict[str, dict] = {}
        counter_max: dict[tuple[str, int], int] = {}

        def current(sid: str) -> dict | None:
            if sid in state:
                return state[sid]
            row = existing.get(sid)
            if row is None:
                return None
            st = dict(row)
            st["pk"] = row["id"]
            st["attachments"] = existing_attachments.get(row["id"], [])
            st["dirty"] = set()
            st["attachments_dirty"] = False
            st["lines"] = {}
            state[sid] = st
            return st

        for op in ops:
            st = current(op.sid)
            if op.kind == "withdraw":
                if st is None:
                    self.bad(op.lineno, op.sid, "要撤回的文件不存在")
                    continue
                if st["live"]:
                    st["live"] = False
                    st["dirty"].add("live")
                    self.summary.withdrawn += 1
                else:
                    self.summary.unchanged += 1
                continue
            if op.kind == "update" and st is None:
                self.bad(op.lineno, op.sid, "要更新的文件不存在（更新记录只能修改已有文件）")
                continue
            values = dict(op.values)
            # Resolve the department and check the index number before anything changes.
            index_no = values.get("index_no")
            if index_no:
                owner = owners.get(index_no)
                if owner is not None and owner != op.sid:
                    self.bad(op.lineno, op.sid, f"索引号“{index_no}”已被文件“{owner}”使用")
                    continue
            elif "index_no" in values and st is not None and st.get("index_no"):
                values["index_no"] = st["index_no"]  # keep the number already given
            if "site" in values:
                slug = values.pop("site")
                organ = values.get("organ") or (st or {}).get("organ", "")
                values["department_id"] = self.department(slug, organ, index_no or "")[0]
            for message in op.warnings:
                self.warn(op.lineno, op.sid, message)
            if index_no:
                owners[index_no] = op.sid
                try:
                    organ_code, year, serial = identifiers.parse_index_no(index_no)
                except identifiers.InvalidIdentifier:
                    pass
                else:
                    key = (organ_code, year)
                    counter_max[key] = max(counter_max.get(key, 0), serial)
            created = st is None
            if created:
                st = state[op.sid] = {
                    "source_id": op.sid, "pk": None, "live": False, "first_published_at": None, "dirty": set(),
                    "attachments": [], "attachments_dirty": False, "interprets": None, "replaced_by": None,
                    "lines": {},
                }
            changed = False
            for key, value in values.items():
                if st.get(key, None) != value or (created and key not in st):
                    st[key] = value
                    st["dirty"].add(key)
                    changed = True
            if op.attachments is not None and op.attachments != st["attachments"]:
                st["attachments"] = op.attachments
                st["attachments_dirty"] = True
                changed = True
            for key, target in op.links.items():
                st["lines"][key] = op.lineno
                if st.get(key) != target:
                    st[key] = target
                    st["dirty"].add(key)
                    changed = True
            if op.kind == "full" and not st["live"]:
                st["live"] = True
                st["dirty"].add("live")
                changed = True
            if created:
                self.summary.created += 1
            elif changed:
                self.summary.updated += 1
            else:
                self.summary.unchanged += 1

        self._write(state, counter_max, owners)

    def _write(self, state: dict[str, dict], counter_max: dict, owners: dict[str, str]) -> None:
        for key, serial in counter_max.items():
            if serial > self.counter_max.get(key, 0):
                self.counter_max[key] = serial
        now = timezone.now()
        new_objs, new_states = [], []
        groups: dict[frozenset, list] = {}
        withdrawn_pks: list[int] = []
        for st in state.values():
            if st["pk"] is not None and not st["dirty"] and not st["attachments_dirty"]:
                continue
            fields = {f: st[f] for f in CONTENT_FIELDS}
            fields["updated_at"] = now
            fields["live"] = st["live"]
            fields["has_unpublished_changes"] = not st["live"]
            fields["last_published_at"] = st["published_at"]
            fields["first_published_at"] = st.get("first_published_at") or st["published_at"]
            if st["pk"] is None:
                fields["source_id"] = st["source_id"]
                new_objs.append(fields)
                new_states.append(st)
            else:
                names = {"updated_at"} | {f for f in st["dirty"] if f in CONTENT_FIELDS}
                if "live" in st["dirty"]:
                    names |= {"live", "has_unpublished_changes"}
                    if not st["live"]:
                        withdrawn_pks.append(st["pk"])
                if "published_at" in names or ("live" in names and st["live"]):
                    names |= {"last_published_at", "first_published_at"}
                obj = DisclosureDocument(pk=st["pk"], **fields)
                groups.setdefault(frozenset(names), []).append(obj)
        if new_objs:
            insert_rows(DisclosureDocument, new_objs, {"locale_id": self.locale_id, "translation_key": uuid.uuid4})
            pks = dict(
                DisclosureDocument.objects.filter(
                    locale_id=self.locale_id, source_id__in=[st["source_id"] for st in new_states]
                ).order_by().values_list("source_id", "id")
            )
            for st in new_states:
                st["pk"] = pks[st["source_id"]]
        for names, objs in groups.items():
            DisclosureDocument.objects.bulk_update(objs, sorted(names), batch_size=250)

        # Attachments: replaced as a whole for every document whose list changed.
        changed_att = [st for st in state.values() if st["attachments_dirty"]]
        if changed_att:
            Attachment.objects.filter(document_id__in=[st["pk"] for st in changed_att if st["pk"]]).delete()
            insert_rows(
                Attachment,
                [
                    {
                        "document_id": st["pk"], "sort_order": i, "title": title, "file": file,
                        "size_bytes": size, "file_type": kind, "sha256": sha,
                    }
                    for st in changed_att
                    for i, (title, file, size, kind, sha) in enumerate(st["attachments"])
                ],
            )

        self._write_links([st for st in state.values() if st["dirty"] & set(LINK_FIELDS)])
        # Missing 索引号 are numbered at the very end, once every imported number is known,
        # so a generated number never takes one that a later line of the file brings.
        tz = timezone.get_default_timezone()
        self.needs_index_no.extend(
            (st["pk"], st["department_id"], st["published_at"].astimezone(tz).year)
            for st in state.values()
            if not st.get("index_no") and (st["dirty"] or st["attachments_dirty"])
        )
        touched = [st for st in state.values() if st["dirty"] or st["attachments_dirty"]]
        created_pks = [st["pk"] for st in new_states]
        created_set = set(created_pks)
        changed_pks = [st["pk"] for st in touched if st["pk"] not in created_set and st["live"]]
        source_ids = [st["source_id"] for st in touched]
        if touched:
            transaction.on_commit(
                lambda: documents_imported.send(
                    sender=DisclosureDocument,
                    created=created_pks,
                    changed=changed_pks,
                    withdrawn=withdrawn_pks,
                    source_ids=source_ids,
                )
            )

    def _write_links(self, docs: list[dict], *, final: bool = False) -> None:
        """Point interprets/replaced_by at the target documents; unknown targets wait for the end."""
        if not docs:
            return
        targets = {st[f] for st in docs for f in LINK_FIELDS if st.get(f)}
        pks = dict(
            DisclosureDocument.objects.filter(locale_id=self.locale_id, source_id__in=targets).order_by().values_list(
                "source_id", "id"
            )
        )
        objs = []
        for st in docs:
            obj = DisclosureDocument(pk=st["pk"])
            for f in LINK_FIELDS:
                target = st.get(f)
                target_pk = pks.get(target) if target else None
                if target and target_pk is None:
                    lineno = st["lines"].get(f, 0)
                    if final:
                        label = "解读的政策" if f == "interprets" else "替代文件"
                        self.warn(lineno, st["source_id"], f"{label}“{target}”不存在，未建立关联")
                    else:
                        self.pending_links.append((lineno, st["source_id"], f, target))
                setattr(obj, f"{f}_id", target_pk)
            objs.append(obj)
        DisclosureDocument.objects.bulk_update(objs, ["interprets_id", "replaced_by_id"], batch_size=500)

    def finish_index_nos(self) -> None:
        """Give every document imported without 索引号 a new one (organ code / year / serial).

        First the counters are raised above every imported serial, so generated numbers
        follow the imported ones and never collide with them.
        """
        with transaction.atomic():
            self.bump_counters(self.counter_max)

        need: dict[tuple[int, int], list[int]] = {}
        for pk, dept_pk, year in self.needs_index_no:
            need.setdefault((dept_pk, year), []).append(pk)
        self.needs_index_no = []
        numbered: list[int] = []
        numbered_ids: list[str] = []
        for (dept_pk, year), pks in need.items():
            with transaction.atomic():
                # Still blank? (a later line of the file may have brought a number)
                rows = list(
                    DisclosureDocument.objects.filter(pk__in=pks, index_no="").order_by("published_at", "pk")
                    .values_list("pk", "source_id")
                )
                if not rows:
                    continue
                pks = [pk for pk, _ in rows]
                numbered_ids.extend(sid for _, sid in rows)
                organ_code = self.organ_code_for(self.slug_by_pk[dept_pk])
                numbers = allocate_index_nos(organ_code, year, len(pks))
                objs = [DisclosureDocument(pk=pk, index_no=no) for pk, no in zip(pks, numbers, strict=True)]
                DisclosureDocument.objects.bulk_update(objs, ["index_no"], batch_size=500)
                numbered.extend(pks)
        if numbered:
            transaction.on_commit(
                lambda: documents_imported.send(
                    sender=DisclosureDocument, created=[], changed=numbered, withdrawn=[], source_ids=numbered_ids
                )
            )

    def finish_links(self) -> None:
        """Resolve the links whose target came later in the file (order must not matter)."""
        pending, self.pending_links = self.pending_links, []
        for start in range(0, len(pending), 1000):
            chunk = pending[start : start + 1000]
            by_sid: dict[str, dict] = {}
            for lineno, sid, f, target in chunk:
                by_sid.setdefault(sid, {"lines": {}})
                by_sid[sid][f] = target
                by_sid[sid]["lines"][f] = lineno
            with transaction.atomic():
                rows = DisclosureDocument.objects.filter(locale_id=self.locale_id, source_id__in=by_sid).order_by().values(
                    "id", "source_id", "interprets__source_id", "replaced_by__source_id"
                )
                docs = []
                for row in rows:
                    st = by_sid[row["source_id"]]
                    st.update(pk=row["id"], source_id=row["source_id"])
                    for f in LINK_FIELDS:
                        st.setdefault(f, row[f"{f}__source_id"])
                    docs.append(st)
                self._write_links(docs, final=True)


def _tune_connection() -> None:
    """Give SQLite a page cache that holds the hot index pages of a large import.

    The default (2 MB) makes every insert into the ~15 indexes of a 1 GB database re-read pages
    from the OS, and the import slows down as the database grows. 128 MB keeps the import's
    peak RSS well under 1 GB. Only this connection is affected (until it is closed).
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -131072")
            # Checkpoint the WAL every ~80 MB instead of 4 MB: hot index pages are written back
            # once per checkpoint, not once per batch.
            cursor.execute("PRAGMA wal_autocheckpoint = 20000")


_INSERT_CACHE: dict[tuple[type, str], tuple[str, list]] = {}


def insert_rows(model, rows: list[dict], constants: dict | None = None, chunk: int = 500) -> None:
    """INSERT many rows with one executemany: Django's bulk_create compiles SQL per value and
    instantiates a model per row, which was ~60% of the import time at 200k documents.

    ``rows`` map attnames to Python values; missing columns take the field default; a callable
    in ``constants`` is called per row (e.g. uuid4). Values are adapted like the ORM does.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    key = (model, alias)
    if key not in _INSERT_CACHE:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
        _INSERT_CACHE[key] = (sql, fields)
    sql, fields = _INSERT_CACHE[key]
    constants = constants or {}
    preps = []
    for f in fields:
        internal = f.get_internal_type()
        if internal in ("CharField", "TextField", "SlugField", "BooleanField", "IntegerField",
                        "BigIntegerField", "PositiveIntegerField", "ForeignKey") or f.is_relation:
            preps.append(None)  # passed through as is
        elif internal == "DateTimeField":
            preps.append(connection.ops.adapt_datetimefield_value)
        elif internal == "DateField":
            preps.append(connection.ops.adapt_datefield_value)
        else:
            preps.append(lambda v, f=f: f.get_db_prep_save(v, connection))
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in constants}
    params = []
    memo: dict[tuple[int, Any], Any] = {}  # the same datetime repeats (published, first/last published, now)
    for row in rows:
        values = []
        for f, prep in zip(fields, preps, strict=True):
            name = f.attname
            if name in row:
                value = row[name]
            elif name in constants:
                value = constants[name]
                value = value() if callable(value) else value
            else:
                value = defaults[name]
            if prep is None or value is None:
                values.append(value)
            elif isinstance(value, datetime):
                key = (id(prep), value)
                if key not in memo:
                    memo[key] = prep(value)
                values.append(memo[key])
            else:
                values.append(prep(value))
        params.append(values)
    with connection.cursor() as cursor:
        for start in range(0, len(params), chunk):
            cursor.executemany(sql, params[start : start + chunk])


def _numbered(lines: Iterable) -> Iterator[tuple[int, Any]]:
    """Accept raw lines (numbered from 1, blank ones skipped) or ready (lineno, record) pairs."""
    for n, item in enumerate(lines, start=1):
        if isinstance(item, tuple):
            yield item
        elif isinstance(item, dict):
            yield n, item
        elif item.strip():
            yield n, item


def parse_chunk(items: list[tuple[int, Any]]) -> list["_Op | Problem"]:
    """Check a chunk of lines on their own (no database); runs in the parser process."""
    out: list[_Op | Problem] = []
    for lineno, raw in items:
        try:
            out.append(parse_line(lineno, raw))
        except BadRecord as exc:
            sid = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
            out.append(Problem(lineno, sid, str(exc)))
    return out


def _chunks(lines: Iterable, size: int, summary: ImportSummary) -> Iterator[list[tuple[int, Any]]]:
    batch: list[tuple[int, Any]] = []
    for item in _numbered(lines):
        batch.append(item)
        summary.lines += 1
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_records(
    lines: Iterable,
    *,
    progress: Callable[[ImportSummary], None] | None = None,
    on_problem: Callable[[str, Problem], None] | None = None,
    batch_size: int = BATCH_SIZE,
    files: AttachmentFiles | None = None,
) -> ImportSummary:
    """Import JSONL lines (str/bytes, or ``(lineno, record)`` pairs) and return the summary.

    ``files`` stores the attachment files (``--files``); without it, attachments are kept as
    given: outside links, files the store already holds (a record's ``sha256``), or 暂缺.
    Streams: one batch at most is in memory. ``progress(summary)`` is called after each batch;
    ``on_problem(kind, problem)`` for each bad line (kind "error") and warning ("warning").
    Parsing stays in this process: it is ~20% of the CPU time, and a parser process (tried)
    gave most of that back in pickling and was no faster on two busy cores.
    """
    summary = ImportSummary()
    started = time.perf_counter()
    _tune_connection()
    importer = _Importer(summary, on_problem, files)

    def write(batch: tuple[list, Callable[[], list] | None]) -> None:
        importer.run_batch(*batch)
        importer.flush_problems()
        summary.seconds = time.perf_counter() - started
        if progress:
            progress(summary)

    # One batch ahead: its attachment files are read and stored by the file worker processes while the
    # batch before it is written (``start_files``). A large import's search tokens are cached by a worker
    # process of their own while the next batches are written (ADR 0106).
    from cms.build.search_tokens import background  # noqa: PLC0415 - cms.build imports this module

    with background() as tokens:
        ahead = None
        try:
            for chunk in _chunks(lines, batch_size, summary):
                if summary.lines >= tokens.LINES:
                    tokens.start()
                parsed = parse_chunk(chunk)
                batch = (parsed, importer.start_files(parsed))
                if ahead is not None:
                    write(ahead)
                ahead = batch
            if ahead is not None:
                write(ahead)
        finally:
            if files is not None:
                files.close()
        importer.finish_index_nos()
        importer.finish_links()
    importer.flush_problems()
    summary.seconds = time.perf_counter() - started
    if progress:
        progress(summary)
    return summary
