"""The headless documents API: published documents and their disclosure metadata as JSON.

``GET /api/documents`` lists (filter by department site, category, topic, year, validity;
paginated with a total count) and ``GET /api/documents/{id}`` gives one document with its
attachments and its 政策解读. Only published (live) documents are served.

Query parameters are read as text and checked here, so a bad value gets a clear Chinese 400
message instead of Ninja's English 422. The list reads plain ``.values()`` rows (no model
instances) over the (department|category|topic, -published_at) indexes; the detail costs at most
four queries whatever the number of attachments and interpretations.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from wagtail.models import Locale

from cms.richtext import Expander
from cms.service_modules import related_links
from content_models import vocabularies
from content_models.files import file_type
from content_models.filestore import FileStore
from content_models.models import Attachment, Department, DisclosureDocument
from content_models.sanitizer import public_html
from site_generator.docinfo import attachment_path, is_outside_link

router = Router(tags=["公开文件"])


class ApiError(Exception):
    """A 4xx answer with a Chinese message; the endpoints turn it into ``{"message": ...}``.

    Answered by the endpoints themselves rather than by the API-wide HttpError handler, which
    replaces messages it does not know with a generic one.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
DEFAULT_LANG = "zh-hans"


class DocumentSummary(Schema):
    id: int = Field(..., description="文件编号（本平台）")
    source_id: str = Field(..., description="来源系统中的唯一标识")
    site: str = Field(..., description="部门站点代号")
    site_name: str = Field(..., description="部门站点名称")
    title: str = Field(..., description="标题")
    organ: str = Field(..., description="发布机构")
    index_no: str = Field("", description="索引号")
    doc_no: str = Field("", description="发文字号")
    category: str = Field("", description="信息类别")
    topic: str = Field("", description="主题分类")
    written: dt.date | None = Field(None, description="成文日期")
    published: dt.datetime = Field(..., description="发布日期（带时区）")
    validity: str = Field("", description="有效性：有效、失效或废止")
    lang: str = Field(DEFAULT_LANG, description="语言")
    updated: dt.datetime | None = Field(None, description="最后更新时间")


class DocumentPage(Schema):
    count: int = Field(..., description="符合条件的文件总数")
    page: int = Field(..., description="当前页码（从 1 开始）")
    page_size: int = Field(..., description="每页条数")
    pages: int = Field(..., description="总页数")
    items: list[DocumentSummary] = Field(..., description="本页文件")


class AttachmentOut(Schema):
    title: str = Field(..., description="附件名称")
    file: str = Field(..., description="文件地址")
    size_bytes: int | None = Field(None, description="文件大小（字节）")
    file_type: str = Field("", description="文件类型，如 pdf、docx")
    url: str | None = Field(None, description="文件在网站上的地址（外部链接为其原地址）；文件暂缺时为空")


class DocumentLink(Schema):
    id: int = Field(..., description="文件编号")
    title: str = Field(..., description="标题")
    doc_no: str = Field("", description="发文字号")
    published: dt.datetime = Field(..., description="发布日期")


class RelatedLink(Schema):
    kind: str = Field("", description="链接类别，如“意见征集”")
    title: str = Field(..., description="标题")
    url: str = Field(..., description="网站上的地址")
    note: str = Field("", description="说明，如征集状态和日期")


class DocumentDetail(DocumentSummary):
    keywords: list[str] = Field(default_factory=list, description="主题词")
    summary: str = Field("", description="内容概述")
    body_html: str = Field("", description="正文（HTML）")
    attachments: list[AttachmentOut] = Field(default_factory=list, description="附件")
    interprets: DocumentLink | None = Field(None, description="本解读所解读的政策文件")
    interpretations: list[DocumentLink] = Field(default_factory=list, description="解读本文件的政策解读")
    replaced_by: DocumentLink | None = Field(None, description="替代本文件的新文件")
    related_links: list[RelatedLink] = Field(
        default_factory=list, description="链接到本文件的网站页面（如以本文件为征求意见稿的意见征集及其采纳情况），文件页面同样列出")


class ErrorOut(Schema):
    """The platform's error answer (cms/api/errors.py installs the handler on the one API)."""

    message: str = Field(..., description="错误说明（中文）")


_SUMMARY_VALUES = {
    "id": "id",
    "source_id": "source_id",
    "site": "department__slug",
    "site_name": "department__name",
    "title": "title",
    "organ": "organ",
    "index_no": "index_no",
    "doc_no": "doc_no",
    "category": "category",
    "topic": "topic",
    "written": "written",
    "published": "published_at",
    "validity": "validity",
    "lang": "locale__language_code",
    "updated": "updated_at",
}
_LINK_VALUES = ("id", "title", "doc_no", "published_at")


def _rows(queryset: QuerySet, mapping: dict[str, str]) -> list[dict]:
    """``.values()`` rows renamed to the API's field names."""
    rows = queryset.values(*mapping.values())
    return [{out: _local(row[src]) for out, src in mapping.items()} for row in rows]


def _local(value):
    """Datetimes in the site's time zone (+08:00), as Chinese readers expect them."""
    return timezone.localtime(value) if isinstance(value, dt.datetime) else value


def attachment_url(row: dict) -> str | None:
    """Where an attachment is on the static site (the build's rule), its URL when it is an outside
    link, or None when its file is not stored (the site lists it as 暂缺)."""
    file = row["file"] or ""
    if is_outside_link(file):
        return file
    sha = row.get("sha256") or ""
    if not sha or not FileStore(settings.GOVSITE_FILES_DIR).has(sha):
        return None
    return "/" + attachment_path(sha, file, row.get("file_type") or file_type(file))


def _link(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {"id": row["id"], "title": row["title"], "doc_no": row["doc_no"], "published": _local(row["published_at"])}


def _positive_int(raw: str | None, name: str, default: int, maximum: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) < 1:
        raise ApiError(400, f"参数 {name} 应为正整数，收到“{raw}”")
    value = int(text)
    if maximum is not None and value > maximum:
        raise ApiError(400, f"参数 {name} 不能大于 {maximum}，收到 {value}")
    return value


def _year_range(raw: str) -> tuple[dt.datetime, dt.datetime]:
    text = raw.strip()
    if not (len(text) == 4 and text.isdigit()) or not 1900 <= int(text) <= 2100:
        raise ApiError(400, f"参数 year 应为四位年份，例如 2024，收到“{raw}”")
    year = int(text)
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=tz)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=tz)


def live_documents(lang: str | None = None, *, narrowed: bool = False) -> QuerySet:
    """Published documents in one language (zh-hans unless asked otherwise).

    ``narrowed``: other filters follow. The locale test is then written so that no index can
    answer it (``locale_id + 0``): every document has the same locale, and SQLite (which keeps
    no statistics unless ANALYZE is run) otherwise picks the locale index over the selective
    department/category/topic/validity one and reads the whole table (0.6–3 s at 200k instead
    of 0.02–0.1 s; docs/adr/0021-listing-indexes-and-planner-hint.md, 0022-no-analyze-on-sqlite.md). Without other filters the partial index
    doc_live_locale_pub_idx answers both the count and the newest-first page.
    """
    code = (lang or DEFAULT_LANG).strip().lower()
    locale_id = Locale.objects.filter(language_code=code).values_list("pk", flat=True).first()
    if locale_id is None:
        raise ApiError(400, f"未知的语言“{lang}”，可选：{'、'.join(c for c, _ in settings.WAGTAIL_CONTENT_LANGUAGES)}")
    qs = DisclosureDocument.objects.filter(live=True)
    if narrowed:
        return qs.alias(_locale_unindexed=F("locale_id") + 0).filter(_locale_unindexed=locale_id)
    return qs.filter(locale_id=locale_id)


def filter_documents(
    qs: QuerySet,
    *,
    site: str | None = None,
    category: str | None = None,
    topic: str | None = None,
    year: str | None = None,
    validity: str | None = None,
) -> QuerySet:
    """Apply the list filters; raises ApiError (Chinese message) for a value that cannot match."""
    if site:
        department_id = Department.objects.filter(slug=site.strip()).values_list("pk", flat=True).first()
        if department_id is None:
            raise ApiError(404, f"没有代号为“{site}”的部门站点")
        qs = qs.filter(department_id=department_id)
    if category:
        qs = qs.filter(category=category.strip())
    if topic:
        if topic.strip() not in vocabularies.TOPICS:
            raise ApiError(400, f"未知的主题分类“{topic}”，应为 22 个主题分类之一，例如“{vocabularies.TOPICS[0]}”")
        qs = qs.filter(topic=topic.strip())
    if validity:
        if validity.strip() not in vocabularies.VALIDITY:
            raise ApiError(400, f"未知的有效性“{validity}”，应为：{'、'.join(vocabularies.VALIDITY)}")
        qs = qs.filter(validity=validity.strip())
    if year:
        start, end = _year_range(year)
        qs = qs.filter(published_at__gte=start, published_at__lt=end)
    return qs


@router.get(
    "",
    response={200: DocumentPage, 400: ErrorOut, 404: ErrorOut},
    summary="公开文件列表",
    description="已发布的公开文件，按发布日期从新到旧排列；可按部门站点、信息类别、主题分类、年份和有效性筛选，分页返回并给出总数。",
)
def list_documents(
    request,
    site: str | None = Query(None, description="部门站点代号，例如 fgj"),
    category: str | None = Query(None, description="信息类别，例如 政策文件"),
    topic: str | None = Query(None, description="主题分类（22 类之一）"),
    year: str | None = Query(None, description="发布年份，例如 2024"),
    validity: str | None = Query(None, description="有效性：有效、失效或废止"),
    lang: str | None = Query(None, description="语言，默认 zh-hans"),
    page: str | None = Query(None, description="页码，从 1 开始"),
    page_size: str | None = Query(None, description=f"每页条数，默认 {DEFAULT_PAGE_SIZE}，最多 {MAX_PAGE_SIZE}"),
):
    try:
        page_no = _positive_int(page, "page", 1)
        size = _positive_int(page_size, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        narrowed = any((site, category, topic, year, validity))
        qs = filter_documents(
            live_documents(lang, narrowed=narrowed), site=site, category=category, topic=topic, year=year, validity=validity
        )
        count = qs.count()
        pages = max(1, math.ceil(count / size))
        if page_no > pages and count:
            raise ApiError(404, f"页码超出范围：共 {pages} 页，请求第 {page_no} 页")
        start = (page_no - 1) * size
        items = _rows(qs.order_by("-published_at", "-id")[start : start + size], _SUMMARY_VALUES)
    except ApiError as exc:
        return exc.status, {"message": exc.message}
    return {"count": count, "page": page_no, "page_size": size, "pages": pages, "items": items}


@router.get(
    "/{doc_id}",
    response={200: DocumentDetail, 404: ErrorOut},
    summary="公开文件详情",
    description="一个已发布文件的全部公开属性、正文、附件、所解读的政策及其政策解读，以及链接到它的网站页面。",
)
def get_document(request, doc_id: str):
    # ASCII digits only ("²" is a digit to str.isdigit, not to int()), and within a bigint
    if not (doc_id.isascii() and doc_id.isdigit()) or len(doc_id) > 18:
        return 404, {"message": f"文件编号应为数字，收到“{doc_id}”"}
    rows = _rows(DisclosureDocument.objects.filter(pk=int(doc_id), live=True), _SUMMARY_VALUES | {
        "keywords": "keywords",
        "summary": "summary",
        "body_html": "body",
        "interprets_id": "interprets_id",
        "replaced_by_id": "replaced_by_id",
    })
    if not rows:
        return 404, {"message": f"没有编号为 {doc_id} 的已发布文件"}
    doc = rows[0]
    # the body as the public page shows it: the editor's links and images expanded, then the allow-list
    doc["body_html"] = public_html(Expander().expand(doc.get("body_html") or "")[0])
    attachments = [
        {**a, "url": attachment_url(a)}
        for a in Attachment.objects.filter(document_id=doc["id"])
        .order_by("sort_order", "id")
        .values("title", "file", "size_bytes", "file_type", "sha256")
    ]
    interprets_id = doc.pop("interprets_id")
    replaced_by_id = doc.pop("replaced_by_id")
    linked_ids = [i for i in (interprets_id, replaced_by_id) if i]
    links = {}
    if linked_ids:
        links = {r["id"]: r for r in DisclosureDocument.objects.filter(live=True, pk__in=linked_ids).values(*_LINK_VALUES)}
    interpretations = (
        DisclosureDocument.objects.filter(live=True, interprets_id=doc["id"])
        .order_by("-published_at", "-id")
        .values(*_LINK_VALUES)
    )
    doc["attachments"] = attachments
    doc["keywords"] = doc.get("keywords") or []
    doc["interprets"] = _link(links.get(interprets_id))
    doc["replaced_by"] = _link(links.get(replaced_by_id))
    doc["interpretations"] = [_link(r) for r in interpretations]
    doc["related_links"] = related_links([doc["id"]]).get(doc["id"], [])
    return doc
