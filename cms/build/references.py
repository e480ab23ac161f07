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
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
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
    docs.discard(target.pk if isinstance(target, DisclosureDocument) else None)
    sources = sorted(DisclosureDocument.objects.filter(pk__in=docs, live=True).values_list("source_id", flat=True)
                     .distinct()) if docs else []
    linked_page = bool(pages) and StandalonePage.objects.filter(pk__in=pages, live=True).exists()
    return sources, linked_page
