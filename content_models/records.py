"""The plain document record: the one shape that flows from the CMS to everything downstream.

It is the JSONL exchange format (see docs/exchange-format.md) as a Python dict. The importer
reads it, the exporter writes it, and the site generator and search index consume it, so none
of them needs Django. Plain Python only: no Django import here.
"""

from typing import NotRequired, TypedDict


class AttachmentRecord(TypedDict):
    title: str
    file: str
    bytes: int | None


class DocumentRecord(TypedDict):
    id: str
    site: str
    organ: str
    title: str
    published: str  # ISO 8601 with offset
    body_html: str
    index_no: NotRequired[str | None]
    doc_no: NotRequired[str | None]
    category: NotRequired[str | None]
    topic: NotRequired[str | None]
    written: NotRequired[str | None]  # YYYY-MM-DD
    validity: NotRequired[str | None]
    keywords: NotRequired[list[str]]
    summary: NotRequired[str | None]
    attachments: NotRequired[list[AttachmentRecord]]
    lang: NotRequired[str]
    # Extensions of this platform (optional on import, always written on export):
    interprets: NotRequired[str | None]  # id of the policy a 政策解读 explains
    replaced_by: NotRequired[str | None]  # id of the document that replaced a 失效/废止 one
    updated: NotRequired[str | None]  # ISO 8601 time of the last change, for incremental builds


REQUIRED_FIELDS: tuple[str, ...] = ("id", "site", "organ", "title", "published", "body_html")
OPTIONAL_FIELDS: tuple[str, ...] = (
    "index_no", "doc_no", "category", "topic", "written", "validity", "keywords", "summary",
    "attachments", "lang", "interprets", "replaced_by", "updated",
)
CHANGE_OPS: tuple[str, ...] = ("create", "update", "withdraw")
