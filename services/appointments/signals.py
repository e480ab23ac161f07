"""A window opened, closed or renamed changes the appointments page: ask for a build."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from services.appointments.models import Window
from services.site import request_site_refresh


@receiver(post_save, sender=Window)
@receiver(post_delete, sender=Window)
def window_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        request_site_refresh(f"预约窗口：{instance.name}", sender=sender)
