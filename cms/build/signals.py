"""What queues a site build: publishing in Wagtail, a bulk import, a service module's data.

``published``/``unpublished`` are sent inside the publish transaction, so the build is
enqueued in ``transaction.on_commit``: a rolled-back publish never triggers a build. The
importer's ``documents_imported`` is sent after each batch has committed. A service module sends
``cms.service_modules.site_pages_changed`` inside its own transaction when data its static pages
show changed; that records a ``pages`` change the same way (connected in ``CmsConfig.ready()``).
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.signals import published, unpublished

from cms.build import references
from cms.build.search_tokens import cache_imported
from cms.build.tasks import enqueue_build
from cms.exchange.importer import documents_imported, insert_rows
from cms.models import Column, PendingChange, StandalonePage
from cms.service_modules import service_pages_enabled, site_pages_changed
from content_models.models import DisclosureDocument

logger = logging.getLogger(__name__)


def queue_change(source_id: str) -> None:
    """Record the changed document and make sure a build task will run after the commit."""
    PendingChange.objects.create(source_id=source_id)
    transaction.on_commit(enqueue_build)


@receiver(published, dispatch_uid="govsite_site_build_published")
@receiver(unpublished, dispatch_uid="govsite_site_build_unpublished")
def document_published_or_unpublished(sender, instance, **kwargs) -> None:
    if isinstance(instance, DisclosureDocument):
        queue_change(instance.source_id)


@receiver(post_delete, sender=DisclosureDocument, dispatch_uid="govsite_site_build_deleted")
def document_deleted(sender, instance, **kwargs) -> None:
    if instance.live:
        queue_change(instance.source_id)


@receiver(documents_imported, dispatch_uid="govsite_search_tokens_imported")
def cache_imported_search_tokens(sender, source_ids, **kwargs) -> None:
    """Before the build is queued: the batch's search tokens, so the build does not tokenize them
    (``cms.build.search_tokens``). A failure here only costs the build that time."""
    try:
        cache_imported(list(source_ids))
    except Exception:
        logger.exception("could not cache the search tokens of %d imported documents", len(source_ids))


@receiver(documents_imported, dispatch_uid="govsite_site_build_imported")
def documents_were_imported(sender, source_ids, **kwargs) -> None:
    """A committed import batch: its documents join the pending changes of the next build."""
    # One executemany (the importer's insert_rows): bulk_create made a model per row, ~10% of a large import.
    insert_rows(PendingChange, [{"source_id": sid} for sid in source_ids],
                {"created_at": timezone.now(), "kind": PendingChange.Kind.DOCUMENT.value})
    transaction.on_commit(enqueue_build)


def queue_pages_change(reason: str) -> None:
    """Record that service pages must be built again and make sure a build task runs after the commit."""
    PendingChange.objects.create(source_id=reason[:128], kind=PendingChange.Kind.PAGES)
    transaction.on_commit(enqueue_build)


@receiver(site_pages_changed, dispatch_uid="govsite_site_pages_changed")
def service_pages_changed(sender, reason: str = "", documents=(), **kwargs) -> bool:
    """A module's data shown on the site changed: a ``pages`` change in the sender's transaction,
    and a document change for each of ``documents`` (source ids of documents whose pages show the
    module's links, ``related_links``), so the same build renders them again.

    In a savepoint, so a failure (logged) leaves the sender's save intact; rolled back with the
    sender's transaction, so a save that never happened asks for nothing. Nothing is recorded when
    the site has no service pages (``GOVSITE_SERVICE_PAGES`` off): the build would change nothing.
    """
    if not service_pages_enabled():
        return False
    try:
        with transaction.atomic():
            if documents:
                PendingChange.objects.bulk_create([PendingChange(source_id=sid) for sid in documents])
            queue_pages_change(reason or "service pages")
    except Exception:
        logger.exception("could not request a site build after %s", reason)
        return False
    return True


@receiver(published, dispatch_uid="govsite_site_build_page_published")
@receiver(unpublished, dispatch_uid="govsite_site_build_page_unpublished")
def standalone_page_published(sender, instance, **kwargs) -> None:
    """A standalone page published or unpublished: the next build writes (or removes) it."""
    if isinstance(instance, StandalonePage):
        queue_pages_change(f"单页 {instance.slug}")


@receiver(post_delete, sender=StandalonePage, dispatch_uid="govsite_site_build_page_deleted")
def standalone_page_deleted(sender, instance, **kwargs) -> None:
    if instance.live:
        queue_pages_change(f"单页 {instance.slug}")


@receiver(post_save, sender=Column, dispatch_uid="govsite_site_build_column_saved")
@receiver(post_delete, sender=Column, dispatch_uid="govsite_site_build_column_deleted")
def column_changed(sender, instance, raw=False, **kwargs) -> None:
    """A column edited: the navigation and column tags of the site change (one full build)."""
    if not raw:
        queue_pages_change(f"栏目 {instance.name}")


def queue_linking(target, reason: str) -> None:
    """The live documents (and 栏目单页) whose bodies link ``target`` are built again with it, so
    their link follows the target: shown while it is published, its words only once it is not."""
    sources, pages = references.linking(target)
    if sources:
        PendingChange.objects.bulk_create([PendingChange(source_id=sid) for sid in sources])
        transaction.on_commit(enqueue_build)
    if pages:
        queue_pages_change(reason)


@receiver(published, dispatch_uid="govsite_references_published")
@receiver(unpublished, dispatch_uid="govsite_references_unpublished")
def linked_item_published_or_unpublished(sender, instance, signal=None, **kwargs) -> None:
    """A document or 栏目单页 published: its links are recorded; published or withdrawn: what links it is rebuilt."""
    if not isinstance(instance, references.LINKING_MODELS):
        return
    if signal is published:
        references.record(instance)
    queue_linking(instance, f"链接对象 {instance}"[:128])


@receiver(documents_imported, dispatch_uid="govsite_references_imported")
def imported_links(sender, created=(), changed=(), withdrawn=(), source_ids=(), **kwargs) -> None:
    """A committed import batch, as a publish in the admin: the links of its bodies are recorded,
    and the live documents (and 栏目单页) that link a document it created, changed or withdrew are
    built again with it (ADR 0105). A failure is logged: the batch is imported, and a full build
    corrects the pages."""
    try:
        with transaction.atomic():
            references.record_imported([*created, *changed])
            sources, pages = references.linking_documents([*created, *changed, *withdrawn])
            batch = set(source_ids)
            sources = [sid for sid in sources if sid not in batch]
            if sources:
                PendingChange.objects.bulk_create([PendingChange(source_id=sid) for sid in sources], batch_size=1000)
                transaction.on_commit(enqueue_build)
            if pages:
                queue_pages_change("导入文件的链接对象")
    except Exception:
        logger.exception("could not rebuild the pages that link %d imported documents", len(source_ids))


@receiver(post_delete, sender=DisclosureDocument, dispatch_uid="govsite_references_document_deleted")
@receiver(post_delete, sender=StandalonePage, dispatch_uid="govsite_references_page_deleted")
def linked_item_deleted(sender, instance, **kwargs) -> None:
    if instance.live:
        queue_linking(instance, f"链接对象 {instance}"[:128])


@receiver(post_save, dispatch_uid="govsite_site_build_file_saved")
def wagtail_document_saved(sender, instance, created=False, raw=False, **kwargs) -> None:
    """A Wagtail document edited (its file replaced): the pages that link it (a guide's form, a
    consultation's draft: ``PageSpec.files``) are planned again; only those whose file changed are
    written. A new document is linked by nothing yet."""
    if raw or created or sender is not get_document_model() or not service_pages_enabled():
        return
    queue_pages_change(f"文件 {instance.pk}")
