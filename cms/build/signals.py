"""Publishing in Wagtail, or a bulk import, queues an incremental site build.

``published``/``unpublished`` are sent inside the publish transaction, so the build is
enqueued in ``transaction.on_commit``: a rolled-back publish never triggers a build. The
importer's ``documents_imported`` is sent after each batch has committed.
"""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from wagtail.signals import published, unpublished

from cms.exchange.importer import documents_imported


def _is_document(instance) -> bool:
    from content_models.models import DisclosureDocument

    return isinstance(instance, DisclosureDocument)


def queue_change(source_id: str) -> None:
    """Record the changed document and make sure a build task will run after the commit."""
    from cms.build.jobs import enqueue_build
    from cms.models import PendingChange

    PendingChange.objects.create(source_id=source_id)
    transaction.on_commit(enqueue_build)


@receiver(published, dispatch_uid="govsite_site_build_published")
@receiver(unpublished, dispatch_uid="govsite_site_build_unpublished")
def document_published_or_unpublished(sender, instance, **kwargs) -> None:
    if _is_document(instance):
        queue_change(instance.source_id)


@receiver(post_delete, sender="content_models.DisclosureDocument", dispatch_uid="govsite_site_build_deleted")
def document_deleted(sender, instance, **kwargs) -> None:
    if instance.live:
        queue_change(instance.source_id)


@receiver(documents_imported, dispatch_uid="govsite_site_build_imported")
def documents_were_imported(sender, source_ids, **kwargs) -> None:
    """A committed import batch: its documents join the pending changes of the next build."""
    from cms.build.jobs import enqueue_build
    from cms.models import PendingChange

    PendingChange.objects.bulk_create([PendingChange(source_id=sid) for sid in source_ids], batch_size=1000)
    transaction.on_commit(enqueue_build)
