"""Ask for a site build when what the site shows of consultations changes, and at the moments a
consultation opens and closes by date (``services.site.request_site_refresh_at``: the build
worker runs the refresh then, with nobody saving anything).

A new comment waiting for moderation changes nothing on the site and asks for nothing; a
moderation decision, the feedback report and any edit of a consultation do.
"""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from services.consultations.models import Comment, Consultation
from services.site import request_site_refresh, request_site_refresh_at


@receiver(post_init, sender=Consultation)
def remember_dates(sender, instance: Consultation, **kwargs) -> None:
    values = instance.__dict__
    instance._dates = (values.get("start_date"), values.get("end_date"))


@receiver(post_save, sender=Consultation)
def consultation_saved(sender, instance: Consultation, created: bool, **kwargs) -> None:
    request_site_refresh(f"consultation {instance.number}", sender=sender)
    dates = (instance.start_date, instance.end_date)
    if created or dates != getattr(instance, "_dates", None):
        request_site_refresh_at(instance.boundaries(), f"consultation {instance.number} opens/closes")
    instance._dates = dates


@receiver(post_delete, sender=Consultation)
def consultation_deleted(sender, instance: Consultation, **kwargs) -> None:
    request_site_refresh(f"consultation {instance.number} deleted", sender=sender)


@receiver(post_save, sender=Comment)
def comment_saved(sender, instance: Comment, created: bool, **kwargs) -> None:
    if created and instance.status == Comment.Status.PENDING:
        return
    request_site_refresh(f"consultation comment {instance.number}", sender=sender)


@receiver(post_delete, sender=Comment)
def comment_deleted(sender, instance: Comment, **kwargs) -> None:
    if instance.status != Comment.Status.PENDING:
        request_site_refresh(f"consultation comment {instance.number} deleted", sender=sender)
