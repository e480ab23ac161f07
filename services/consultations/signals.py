"""Ask for a site build when what the site shows of consultations changes, and at the moments a
consultation opens and closes by date (``services.site.request_site_refresh_at``: the build
worker runs the refresh then, with nobody saving anything).

A new comment waiting for moderation changes nothing on the site and asks for nothing; a
moderation decision, the feedback report and any edit of a consultation do. A consultation's
draft and final policy show links back to it on their own pages (``public.document_links``): an
edit, the opening and closing moments and a deletion name them (before and after the edit), so
the same build renders those document pages again.
"""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from services.consultations.models import Comment, Consultation
from services.consultations.public import linked_documents
from services.site import request_site_refresh, request_site_refresh_at


def _documents(values: dict) -> tuple:
    return (values.get("draft_document_id"), values.get("final_policy_id"))


@receiver(post_init, sender=Consultation)
def remember_dates(sender, instance: Consultation, **kwargs) -> None:
    values = instance.__dict__
    instance._dates = (values.get("start_date"), values.get("end_date"))
    instance._documents = _documents(values)


@receiver(post_save, sender=Consultation)
def consultation_saved(sender, instance: Consultation, created: bool, **kwargs) -> None:
    before = getattr(instance, "_documents", (None, None))
    now = _documents(instance.__dict__)
    request_site_refresh(f"consultation {instance.number}", sender=sender,
                         documents=linked_documents({*before, *now}))
    dates = (instance.start_date, instance.end_date)
    if created or dates != getattr(instance, "_dates", None) or now != before:
        request_site_refresh_at(instance.boundaries(), f"consultation {instance.number} opens/closes",
                                documents=linked_documents(now))
    instance._dates = dates
    instance._documents = now


@receiver(post_delete, sender=Consultation)
def consultation_deleted(sender, instance: Consultation, **kwargs) -> None:
    request_site_refresh(f"consultation {instance.number} deleted", sender=sender,
                         documents=linked_documents(_documents(instance.__dict__)))


@receiver(post_save, sender=Comment)
def comment_saved(sender, instance: Comment, created: bool, **kwargs) -> None:
    if created and instance.status == Comment.Status.PENDING:
        return
    request_site_refresh(f"consultation comment {instance.number}", sender=sender)


@receiver(post_delete, sender=Comment)
def comment_deleted(sender, instance: Comment, **kwargs) -> None:
    if instance.status != Comment.Status.PENDING:
        request_site_refresh(f"consultation comment {instance.number} deleted", sender=sender)
