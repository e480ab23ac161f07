"""The plain document record: the one shape that flows from the CMS to everything downstream.

It is the JSONL exchange format (see docs/exchange-format.md) as a Python dict. The importer
reads it, the exporter writes it, and the site generator and search index consume it, so none
of them needs Django. The JSONL file reading and writing that needs no database is here too, so
that ``build_site --from-jsonl``, the importer and the exporter read and write files one way.
Plain Python only: no Django import here.
"""

import os
import re
from collections.abc import Iterable, Iterator
from typing import NotRequired, TypedDict

import orjson

from content_models.atomic import atomic_file


class AttachmentRecord(TypedDict):
    title: str
    file: str  # path relative to the import's --files directory, or an http(s) URL
    bytes: int | None
    # Written on export, optional on import: the stored file's content hash (content_models.filestore)
    # and its type read from the file. A record whose sha256 the store holds needs no --files.
    sha256: NotRequired[str | None]
    type: NotRequired[str | None]


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
    # Build only (cms.richtext, never exported): the stored files an expanded body links or shows,
    # [{"sha256", "file", "type"}], placed on the site under files/ like attachments.
    body_files: NotRequired[list[dict]]
    # Build only: the words of the attachment files (cms.exchange.extraction), for the search index.
    attachment_text: NotRequired[str]
    # Build only: pages elsewhere on the site that link to this document and that its page links
    # back to (cms.service_modules.related_links), [{"kind", "title", "url", "note"}].
    related_links: NotRequired[list[dict]]


REQUIRED_FIELDS: tuple[str, ...] = ("id", "site", "organ", "title", "published", "body_html")
OPTIONAL_FIELDS: tuple[str, ...] = (
    "index_no", "doc_no", "category", "topic", "written", "validity", "keywords", "summary",
    "attachments", "lang", "interprets", "replaced_by", "updated",
)
CHANGE_OPS: tuple[str, ...] = ("create", "update", "withdraw")
# 主题词 typed on one line, as editors and legacy exports write them: "乡村振兴 农业", "乡村振兴，农业、水利".
KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_keywords(text: str) -> list[str]:
    """The 主题词 of one line of text, in order, each once (the admin form and the importer)."""
    return list(dict.fromkeys(word for word in KEYWORD_SEPARATORS.split(text) if word))


class ExchangeFormatError(ValueError):
    """A JSONL line that cannot be read; the message names the file and the line and is shown to users."""


def iter_jsonl_lines(path: str | os.PathLike) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line)`` for every non-blank line; streams, never loads the file."""
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]  # a UTF-8 byte-order mark, as Windows tools write it
            if line.strip():
                yield lineno, line


def read_jsonl(path: str | os.PathLike, *, changes: bool = False) -> Iterator[DocumentRecord]:
    """Yield the records of a JSONL file, in file order.

    Change records (lines with ``op``) are skipped unless ``changes`` is set: applying them needs
    the stored state, which the importer (``govsite import_documents``) and the site build
    (``build_site --from-jsonl``, over its own state) have. A line that is not a JSON object with
    an ``id`` raises ExchangeFormatError naming the file and the line.
    """
    for lineno, line in iter_jsonl_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ExchangeFormatError(f"{path} 第 {lineno} 行不是有效的 JSON：{exc}") from None
        if not isinstance(record, dict) or "id" not in record:
            raise ExchangeFormatError(f"{path} 第 {lineno} 行不是文件记录")
        if "op" in record and not changes:
            continue
        yield record


def write_jsonl(records: Iterable[DocumentRecord], path: str | os.PathLike) -> int:
    """Write records as JSONL atomically (``content_models.atomic``); return how many were written.

    A reader never sees a half-written export: the file appears complete or not at all.
    """
    count = 0
    with atomic_file(path) as fh:
        buf: list[bytes] = []
        for record in records:
            buf.append(orjson.dumps(record))
            count += 1
            if len(buf) >= 1000:
                fh.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            fh.write(b"\n".join(buf) + b"\n")
    return count
