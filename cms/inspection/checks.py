"""The checks of the self-inspection, over the database and the live site's files.

One pass over the live documents (metadata, timeliness, links, words; bodies read in chunks),
one aggregate query for the columns, the modules' open cases through their case providers
(``cms.service_modules.OpenCases``: the CMS never imports a service module). Working days come
from ``GOVSITE_WORKDAYS_BETWEEN`` (default ``services.workdays.workdays_between``, the project's one
calendar, named by its dotted path).
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from cms.inspection.links import SiteFiles, check_outside, is_outside, links_in
from cms.inspection.report import Finding, Report, now_text
from cms.inspection.words import WordMatcher
from cms.models import Column, StandalonePage
from cms.service_modules import OpenCases, enabled_modules, resolve_hook
from content_models import vocabularies
from content_models.files import file_type
from content_models.models import Attachment, Department, DisclosureDocument
from site_generator import docinfo

# The disclosure metadata every proactively published document must carry (政府信息公开目录).
REQUIRED_FIELDS = {"index_no": "索引号", "organ": "发布机构", "category": "信息类别", "topic": "主题分类",
                   "written": "成文日期"}
# 《政府信息公开条例》第二十六条: published within 20 working days of being made.
DISCLOSURE_WORKDAYS = 20
CHUNK = 500


def stale_days(column: Column) -> int | None:
    """A column's update period: its own, else its type's (``GOVSITE_COLUMN_STALE_DAYS`` over the
    checklist's defaults)."""
    if column.stale_days:
        return column.stale_days
    periods = {**vocabularies.COLUMN_STALE_DAYS, **getattr(settings, "GOVSITE_COLUMN_STALE_DAYS", {})}
    return periods.get(column.column_type)


def _admin_link(model) -> Callable[[int], str]:
    base = str(getattr(settings, "WAGTAILADMIN_BASE_URL", "")).rstrip("/")
    url = reverse(f"wagtailsnippets_{model._meta.app_label}_{model._meta.model_name}:edit", args=[987654321])
    return lambda pk: base + url.replace("987654321", str(pk))


class Inspection:
    def __init__(self, *, today: dt.date | None = None, external: bool = False, external_limit: int = 300,
                 site_dir: Path | None = None):
        self.today = today or timezone.localdate()
        self.external = external
        self.external_limit = external_limit
        self.base_url = str((getattr(settings, "GOVSITE_PORTAL", {}) or {}).get("base_url", "")).rstrip("/")
        self.site = SiteFiles(Path(site_dir or settings.GOVSITE_SITE_DIR), self.base_url)
        self.report = Report(generated=now_text(), home_latest=None)
        self.doc_link = _admin_link(DisclosureDocument)
        self.outside: dict[str, list[tuple[str, str]]] = defaultdict(list)  # url -> [(subject, link)]
        self.outside_seen = 0  # outside links met when they are not checked (only counted)
        self.tz = timezone.get_current_timezone()
        self.by_site_cat: dict[tuple[int, str], list] = {}  # (department, category) -> [newest, count]
        self.latest: dt.datetime | None = None

    def add(self, kind: str, subject: str, detail: str, link: str) -> None:
        self.report.findings.append(Finding(kind, subject, detail, link))

    def run(self) -> Report:
        t0 = time.perf_counter()
        self.check_documents()
        self.check_columns()
        self.check_home(self.latest)
        self.check_cases()
        self.check_pages()
        self.check_outside_links()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    # -- columns and the home page ----------------------------------------------------------
    def check_columns(self) -> None:
        """Columns against the newest document of their department and category (counted in the
        documents' pass) or their pages."""
        by_site_cat = {key: (value[0], value[1]) for key, value in self.by_site_cat.items()}
        by_cat: dict[str, tuple[dt.datetime | None, int]] = {}
        for (_, cat), (latest, n) in by_site_cat.items():
            before = by_cat.get(cat, (None, 0))
            by_cat[cat] = (max(d for d in (before[0], latest) if d) if before[0] or latest else None, before[1] + n)
        pages = defaultdict(list)
        for page in StandalonePage.objects.filter(live=True, column__isnull=False).only("column_id", "last_published_at"):
            pages[page.column_id].append(page.last_published_at)
        link = _admin_link(Column)
        columns = list(Column.objects.select_related("department").annotate(kids=Count("children")))
        for column in columns:
            where = f"{column.department.name}·{column.name}" if column.department_id else column.name
            if not column.description or not column.keywords:
                missing = "、".join(n for n, v in (("栏目描述", column.description), ("栏目关键词", column.keywords)) if not v)
                self.add("missing_metadata", where, f"栏目缺少{missing}（页面的 ColumnDescription/ColumnKeywords）",
                         link(column.pk))
            if column.category:
                latest, n = (by_site_cat.get((column.department_id, column.category), (None, 0))
                             if column.department_id else by_cat.get(column.category, (None, 0)))
            elif column.pk in pages:
                latest, n = max((d for d in pages[column.pk] if d), default=None), len(pages[column.pk])
            elif column.link or column.kids:
                continue  # a link or a parent: nothing of its own to update
            else:
                latest, n = None, 0
            if n == 0:
                self.add("empty_column", where, "栏目没有任何内容", link(column.pk))
                continue
            period = stale_days(column)
            if period and latest and timezone.localtime(latest).date() < self.today - dt.timedelta(days=period):
                self.add("stale_column", where,
                         f"{column.column_type}栏目应 {period} 天内更新，最近更新于 {timezone.localtime(latest):%Y-%m-%d}",
                         link(column.pk))

    def check_home(self, latest: dt.datetime | None) -> None:
        base = str(getattr(settings, "WAGTAILADMIN_BASE_URL", "")).rstrip("/")
        if latest is None:
            self.add("home_stale", "首页", "首页没有任何已发布的信息", base + reverse("wagtailadmin_home"))
            return
        day = timezone.localtime(latest).date()
        self.report.home_latest = day.isoformat()
        if day < self.today - dt.timedelta(days=vocabularies.HOME_STALE_DAYS):
            self.add("home_stale", "首页", f"首页最近更新于 {day}，超过 {vocabularies.HOME_STALE_DAYS} 天未更新",
                     self.base_url + "/")

    # -- cases (letters, requests) through the modules' providers ---------------------------
    def check_cases(self) -> None:
        base = str(getattr(settings, "WAGTAILADMIN_BASE_URL", "")).rstrip("/")
        for module in enabled_modules():
            provider = resolve_hook(module.case_provider)
            if not isinstance(provider, OpenCases):
                continue
            admin_url = getattr(provider, "admin_url", None)
            try:
                with transaction.atomic():  # a savepoint: a module not migrated yet leaves the rest usable
                    cases = [c for c in provider.iter_open() if c.deadline and c.deadline < self.today]
            except DatabaseError as exc:
                self.report.notes.append(f"未检查{module.verbose_name}的办理期限：数据表无法读取（{exc}）")
                continue
            for case in cases:
                late = (self.today - case.deadline).days
                self.add("unanswered", f"{module.verbose_name} {case.number}",
                         f"“{case.title}”办理期限为 {case.deadline}，已超期 {late} 天未答复",
                         admin_url(case.number) if callable(admin_url) else base + reverse("wagtailadmin_home"))

    # -- documents ---------------------------------------------------------------------------
    def _workdays(self) -> Callable[[dt.date, dt.date], int] | None:
        path = getattr(settings, "GOVSITE_WORKDAYS_BETWEEN", "services.workdays.workdays_between")
        try:
            return import_string(path)
        except ImportError:
            self.report.notes.append(f"未检查主动公开时限：工作日计算 {path} 不可用")
            return None

    def check_documents(self) -> None:
        """One pass over the live documents, read with a plain (server-side on PostgreSQL) cursor:
        Django's per-row converters cost more than the checks at 200,000 documents."""
        workdays = self._workdays()
        words = WordMatcher.from_database()
        site_ok = self.site.available()
        if not site_ok:
            self.report.notes.append("未检查站内链接：站点尚未生成")
        doc = DisclosureDocument._meta.db_table
        dept = Department._meta.db_table
        sql = (f"SELECT d.id, d.source_id, d.title, p.slug, d.department_id, d.published_at, d.written, d.index_no, "
               f"d.organ, d.category, d.topic, d.summary, d.body FROM {doc} d JOIN {dept} p ON p.id = d.department_id "
               f"WHERE d.live = %s ORDER BY d.id")
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [True])
            for rows in read_ahead(cursor, CHUNK):
                for row in rows:
                    self._check_document(row, workdays, words, site_ok)
        self._check_attachments(site_ok)

    def _check_document(self, row, workdays, words, site_ok: bool) -> None:
        pk, source_id, title, site, dept_id, published, written, index_no, organ, category, topic, summary, body = row
        published = _aware(published)
        if isinstance(written, str):
            written = dt.date.fromisoformat(written[:10])
        local = published.astimezone(self.tz)
        key = (dept_id, category or "")
        seen = self.by_site_cat.get(key)
        if seen is None:
            self.by_site_cat[key] = [published, 1]
        else:
            seen[1] += 1
            if published > seen[0]:
                seen[0] = published
        if self.latest is None or published > self.latest:
            self.latest = published
        url = docinfo.doc_url(docinfo.site_slug(site), local.year, source_id)
        values = (index_no, organ, category, topic, written)
        if not all(values):
            missing = [label for label, value in zip(REQUIRED_FIELDS.values(), values, strict=True) if not value]
            self.add("missing_metadata", title, f"缺少{'、'.join(missing)}", self.doc_link(pk))
        if written and workdays is not None:
            self._check_timeliness(pk, title, written, local.date(), workdays)
        for link in links_in(body):
            if is_outside(link, self.base_url):
                self._outside(link, title, self.doc_link(pk))
            elif site_ok and not self.site.exists(link, url):
                self.add("broken_link", title, f"正文中的链接 {link} 在站点上不存在", self.doc_link(pk))
        if words:
            for hit in words.find(title, summary, body):
                self.add("word", title, hit.message(), self.doc_link(pk))

    def _check_timeliness(self, pk, title, written: dt.date, published: dt.date, workdays) -> None:
        days = (published - written).days
        if days <= DISCLOSURE_WORKDAYS:
            return  # never more working days than calendar days
        # 60 calendar days hold at least 34 working days (the longest holiday is 8 days)
        late = days > 60 or workdays(written, published) > DISCLOSURE_WORKDAYS
        if late:
            self.add("late_disclosure", title,
                     f"成文于 {written}，发布于 {published}，超过 {DISCLOSURE_WORKDAYS} 个工作日", self.doc_link(pk))

    def _check_attachments(self, site_ok: bool) -> None:
        att, doc = Attachment._meta.db_table, DisclosureDocument._meta.db_table
        sql = (f"SELECT a.document_id, d.title, a.title, a.file, a.sha256, a.file_type FROM {att} a "
               f"JOIN {doc} d ON d.id = a.document_id WHERE d.live = %s ORDER BY a.id")
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [True])
            for rows in read_ahead(cursor, 2000):
                for doc_pk, doc_title, title, file, sha256, kind in rows:
                    name = title or str(file).rsplit("/", 1)[-1]
                    if docinfo.is_outside_link(file or ""):
                        self._outside(file, doc_title, self.doc_link(doc_pk))
                    elif not sha256:
                        self.add("broken_link", doc_title, f"附件“{name}”没有文件", self.doc_link(doc_pk))
                    elif site_ok and not self.site.exists(
                            "/" + docinfo.attachment_path(sha256, file, kind or file_type(file))):
                        self.add("broken_link", doc_title, f"附件“{name}”在站点上不存在", self.doc_link(doc_pk))

    def check_pages(self) -> None:
        link = _admin_link(StandalonePage)
        words = WordMatcher.from_database()
        site_ok = self.site.available()
        for page in StandalonePage.objects.filter(live=True).select_related("department"):
            if not (page.body or "").strip():
                self.add("missing_metadata", page.title, "栏目单页没有正文", link(page.pk))
            for href in links_in(page.body):
                if is_outside(href, self.base_url):
                    self._outside(href, page.title, link(page.pk))
                elif site_ok and not self.site.exists(href, page.url):
                    self.add("broken_link", page.title, f"正文中的链接 {href} 在站点上不存在", link(page.pk))
            for hit in words.find(page.title, page.body):
                self.add("word", page.title, hit.message(), link(page.pk))

    def _outside(self, url: str, subject: str, link: str) -> None:
        if self.external:
            self.outside[url].append((subject, link))
        else:
            self.outside_seen += 1

    def check_outside_links(self) -> None:
        if not self.external:
            if self.outside_seen:
                self.report.notes.append(f"未检查 {self.outside_seen} 处外部链接（使用 --external 检查）")
            return
        if len(self.outside) > self.external_limit:
            self.report.notes.append(f"外部链接共 {len(self.outside)} 个，本次只检查前 {self.external_limit} 个")
        for url, problem in check_outside(list(self.outside), limit=self.external_limit).items():
            for subject, link in self.outside[url]:
                self.add("broken_link", subject, f"外部链接 {url} 不可用：{problem}", link)


def read_ahead(cursor, size: int, depth: int = 4) -> Iterator[list]:
    """The cursor's rows in chunks, fetched by a second thread while the caller checks the previous
    ones: the database driver reads (from disk on a cold run: the worker's daily run) without the
    GIL, so reading and checking overlap. Only the reader uses the cursor until it is exhausted;
    at most ``depth`` chunks wait in memory. An error while reading is raised in the caller."""
    chunks: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                rows = cursor.fetchmany(size)
                chunks.put(rows)
                if not rows:
                    return
        except BaseException as exc:  # handed to the caller, raised there
            chunks.put(exc)

    thread = threading.Thread(target=reader, name="inspect-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            rows = chunks.get()
            if isinstance(rows, BaseException):
                raise rows
            if not rows:
                return
            yield rows
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting on a full queue, then let it finish
            try:
                chunks.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def _aware(value) -> dt.datetime:
    """A datetime column as read by a plain cursor: aware on PostgreSQL, UTC text on SQLite."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def run_inspection(**options) -> Report:
    return Inspection(**options).run()
