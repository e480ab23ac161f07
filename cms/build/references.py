"""Which published pages link an item, so withdrawing the item rebuilds them (ADR 0104).

A body's link to a disclosure document or a 栏目单页 (``<a linktype="disclosure" id="12">``) is
expanded when the page is built (``cms.richtext``): a link to a withdrawn target becomes plain
text. A page is built again only when it changes, so without this the page that links a target
would keep its link (to a page that is gone) until it changed for another reason.

The references are kept in Wagtail's ``ReferenceIndex`` (the table behind the admin's "usage"),
written synchronously when a document or a 栏目单页 is published (Wagtail's own update runs as a
background task and only for the models it tracks); the rich-text link handlers
(``cms.admin.richtext_links``) say what a body links. When a target is published, unpublished or
deleted, the live documents that link it join the build queue with it, and a 栏目单页 that links
it asks for the pages to be planned again; their pages then show the link, or its words only.

A bulk import (``import_documents``) publishes and withdraws without revisions or ``published``
signals; after each batch the same two steps run for its documents in bulk (``record_imported``,
``linking_documents``), so an import that withdraws or publishes a linked document rebuilds the
pages that link it, and the links of imported bodies are known to later withdrawals.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.models import ReferenceIndex

from cms.models import StandalonePage
from content_models.models import DisclosureDocument

LINKING_MODELS = (DisclosureDocument, StandalonePage)


def record(instance) -> None:
    """Write the item's outbound references as published now (call inside its transaction)."""
    ReferenceIndex.create_or_update_for_object(instance)


def linking(target) -> tuple[list[str], bool]:
    """``(source ids of live documents that link target, whether a live 栏目单页 links it)``."""
    rows = ReferenceIndex.get_references_to(target).values_list("base_content_type_id", "object_id")
    own = target.pk if isinstance(target, DisclosureDocument) else None
    return _live_sources(rows, {own} if own is not None else set())


def linking_documents(pks: Iterable[int]) -> tuple[list[str], bool]:
    """``linking`` for many documents at once (an import batch): the live documents other than
    these that link any of them, and whether a live 栏目单页 links one."""
    pks = set(pks)
    keys = sorted(str(pk) for pk in pks)
    doc_type = ReferenceIndex._get_base_content_type(DisclosureDocument)
    rows = []
    for start in range(0, len(keys), 500):
        rows.extend(ReferenceIndex.objects.filter(to_content_type=doc_type, to_object_id__in=keys[start : start + 500])
                    .values_list("base_content_type_id", "object_id"))
    return _live_sources(rows, pks)


def _live_sources(rows: Iterable[tuple[int, str]], exclude: set[int]) -> tuple[list[str], bool]:
    doc_type = ContentType.objects.get_for_model(DisclosureDocument).pk
    page_type = ContentType.objects.get_for_model(StandalonePage).pk
    docs, pages = set(), set()
    for content_type, object_id in rows:
        if not str(object_id).isdigit():
            continue
        if content_type == doc_type:
            docs.add(int(object_id))
        elif content_type == page_type:
            pages.add(int(object_id))
    docs -= exclude
    sources = sorted(DisclosureDocument.objects.filter(pk__in=docs, live=True).values_list("source_id", flat=True)
                     .distinct()) if docs else []
    linked_page = bool(pages) and StandalonePage.objects.filter(pk__in=pages, live=True).exists()
    return sources, linked_page


def record_imported(pks: Iterable[int]) -> int:
    """Write the references of imported documents as ``record`` does on publish: those whose body
    links by id, and those that had references before (a body whose links the import removed).
    A body without references (most imported ones) costs one query per batch. Returns the count."""
    pks = list(pks)
    if not pks:
        return 0
    doc_type = ReferenceIndex._get_base_content_type(DisclosureDocument)
    had = {int(pk) for pk in ReferenceIndex.objects.filter(
        base_content_type=doc_type, object_id__in=[str(pk) for pk in pks]).values_list("object_id", flat=True)}
    linking_body = Q(body__contains='linktype="') | Q(body__contains='embedtype="')
    docs = DisclosureDocument.objects.filter(Q(pk__in=pks) & (linking_body | Q(pk__in=had)))
    count = 0
    for doc in docs.iterator(chunk_size=200):
        record(doc)
        count += 1
    return count
