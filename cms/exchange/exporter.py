"""The database as records: the published documents streamed out in the exchange format's shape.

``iter_document_records`` is the one bulk read of the published documents; the exporter
(``govsite export_documents``, which writes the JSONL with ``content_models.record.write_jsonl``)
and the site build both use it, so it reads in keyset-paged batches (flat memory at 200k
documents) with one query for the attachments of each batch, never one query per document.
"""

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone, translation
from wagtail.models import Locale

from cms.richtext import Expander, has_references
from cms.service_modules import related_links
from content_models.extract import MAX_CHARS
from content_models.models import Attachment, AttachmentText, Department, DisclosureDocument
from content_models.record import DocumentRecord
from content_models.sanitizer import clean_text

BATCH_SIZE = 2000

# Database columns read for a record, in the order of the exchange format.
_VALUE_FIELDS = (
    "id", "source_id", "department__slug", "organ", "index_no", "doc_no", "title", "category", "topic",
    "written", "published_at", "validity", "keywords", "summary", "body", "lang",
    "interprets__source_id", "replaced_by__source_id", "updated_at",
)


def _local_tz() -> tzinfo:
    return timezone.get_default_timezone()


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


# The columns of a record's summary (``summary_from_values``): what a page shows of another document
# (title, URL, date, relations, department).
SUMMARY_FIELDS = (
    "id", "source_id", "department__slug", "organ", "title", "category", "topic", "published_at",
    "interprets__source_id", "replaced_by__source_id",
)


def summary_from_values(row: dict[str, Any], tz: tzinfo) -> dict:
    """The fields of a record that ``SUMMARY_FIELDS`` hold, exactly as ``record_from_values`` gives them."""
    return {
        "id": row["source_id"],
        "site": row["department__slug"],
        "organ": clean_text(row["organ"]),
        # text typed in the admin never had the importer's check: no control character reaches a
        # page, a feed (malformed XML) or a sitemap
        "title": clean_text(row["title"]),
        "category": _blank_to_none(row["category"]),
        "topic": _blank_to_none(row["topic"]),
        "published": _iso(row["published_at"], tz),
        "interprets": row["interprets__source_id"],
        "replaced_by": row["replaced_by__source_id"],
    }


def record_from_values(row: dict[str, Any], attachments: list[dict], tz: tzinfo) -> DocumentRecord:
    """Turn one ``.values()`` row (see _VALUE_FIELDS) into a DocumentRecord."""
    written = row["written"]
    s = summary_from_values(row, tz)
    return {
        "id": s["id"],
        "site": s["site"],
        "organ": s["organ"],
        "index_no": _blank_to_none(row["index_no"]),
        "doc_no": _blank_to_none(row["doc_no"]),
        "title": s["title"],
        "category": s["category"],
        "topic": s["topic"],
        "written": written.isoformat() if written else None,
        "published": s["published"],
        "validity": _blank_to_none(row["validity"]),
        "keywords": list(row["keywords"] or []),
        "summary": _blank_to_none(clean_text(row["summary"], multiline=True)),
        "body_html": row["body"] or "",
        "attachments": attachments,
        "lang": row["lang"] or "zh-hans",
        "interprets": s["interprets"],
        "replaced_by": s["replaced_by"],
        "updated": _iso(row["updated_at"], tz),
    }


def _attachments_by_document(pks: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    rows = (
        Attachment.objects.filter(document_id__in=pks)
        .order_by("document_id", "sort_order", "id")
        .values_list("document_id", "title", "file", "size_bytes", "file_type", "sha256")
    )
    for doc_id, title, file, size, kind, sha in rows:
        out.setdefault(doc_id, []).append(
            {"title": title, "file": file, "bytes": size, "type": kind or None, "sha256": sha or None}
        )
    return out


def _attachment_texts(attachments: dict[int, list[dict]]) -> dict[str, str]:
    """The extracted words of a batch's stored files (``AttachmentText``), by content hash."""
    shas = {a["sha256"] for items in attachments.values() for a in items if a.get("sha256")}
    if not shas:
        return {}
    return dict(AttachmentText.objects.filter(sha256__in=shas).exclude(text="").values_list("sha256", "text"))


def iter_document_records(queryset=None, *, batch_size: int = BATCH_SIZE, expand: bool = False) -> Iterator[DocumentRecord]:
    """Yield the live (published) documents as records, ordered by their ``id`` (source id).

    ``queryset`` narrows the documents (e.g. one department, or changed since a time); it is
    always restricted to live ones. Without it, the documents of the default locale are read.
    ``expand``: bodies as the public reads them (``cms.richtext``: the editor's links and images
    resolved, with the files they need in ``body_files``), the words of their attachment files
    (``attachment_text``, for the search index) and the service modules' links back to their pages
    (``related_links``, ``cms.service_modules.related_links``), for the site build; an export keeps
    the stored form.

    Two steps, so that any queryset reads fast on SQLite and PostgreSQL alike: first the primary
    keys in order (``live_pks``), then the full rows by primary key, a batch at a time, with one
    query for the batch's attachments.
    Keyset paging over the queryset itself was tried: with ``locale_id = ?`` in the query SQLite
    picks the locale index and sorts every row, bodies included, for every page.
    """
    if queryset is None:
        queryset = DisclosureDocument.objects.filter(locale=Locale.get_default())
    pks = live_pks(queryset)
    for start in range(0, len(pks), batch_size):
        yield from records_by_pk(pks[start : start + batch_size].tolist(), expand=expand)


def records_by_pk(pks: list[int], *, expand: bool = False) -> Iterator[DocumentRecord]:
    """The live documents among ``pks`` as records, in the order of ``pks`` (one batch of
    ``iter_document_records``; a build's worker process reads its own batches with it)."""
    tz = _local_tz()
    expander = Expander() if expand else None
    rows = {
        row["id"]: row
        for row in DisclosureDocument.objects.filter(pk__in=pks, live=True).order_by().values(*_VALUE_FIELDS)
    }
    attachments = _attachments_by_document(list(rows))
    texts = _attachment_texts(attachments) if expand else {}
    with translation.override(settings.LANGUAGE_CODE):  # the static site's language, whoever builds
        links = related_links(list(rows)) if expand else {}
    for pk in pks:
        row = rows.get(pk)
        if row is None:  # withdrawn since the first step
            continue
        record = record_from_values(row, attachments.get(pk, []), tz)
        if texts:
            words = [texts[a["sha256"]] for a in record["attachments"] if a.get("sha256") in texts]
            if words:
                record["attachment_text"] = "\n".join(words)[:MAX_CHARS]
        if links.get(pk):
            record["related_links"] = links[pk]
        if expander is not None and has_references(record["body_html"]):
            record["body_html"], files = expander.expand(record["body_html"])
            if files:
                record["body_files"] = files
        yield record


def live_pks(queryset) -> array:
    """The primary keys of the live documents of ``queryset``, ordered as ``iter_document_records``
    (one narrow query; a compact array of 8-byte ints, 1.6 MB at 200k)."""
    return array("q", queryset.filter(live=True).order_by("source_id", "locale_id").values_list("pk", flat=True)
                 .iterator(chunk_size=10_000))


def organ_counts(queryset) -> Iterator[tuple[str, str, int]]:
    """``(department slug, publishing organ, live documents)`` of ``queryset``, the organ as its records
    give it (``summary_from_values``): one grouped query, where a summary of every document took
    10 CPU-s at 200,000 documents (a build names a department its configuration does not by them)."""
    slugs = dict(Department.objects.values_list("pk", "slug"))
    counts: Counter[tuple[str, str]] = Counter()
    rows = queryset.filter(live=True).order_by().values_list("department_id", "organ").annotate(n=Count("pk"))
    for department, organ, n in rows:
        counts[slugs[department], clean_text(organ)] += n  # two stored spellings may clean to one
    for (site, organ), n in counts.items():
        yield site, organ, n


def document_summaries(queryset, source_ids: Iterable[str]) -> Iterator[dict]:
    """The summaries (``summary_from_values``) of the live documents of ``queryset`` with these source
    ids, by key, 500 a query: a build needs them only for the documents other pages show."""
    tz = _local_tz()
    ids = sorted(set(source_ids))
    for start in range(0, len(ids), 500):
        rows = queryset.filter(live=True, source_id__in=ids[start:start + 500]).order_by().values(*SUMMARY_FIELDS)
        for row in rows:
            yield summary_from_values(row, tz)
