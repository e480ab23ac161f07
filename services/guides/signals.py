"""A change to the catalogue asks for a build of the guide pages (the build rewrites only the
pages whose content changed: the item's guide and the lists it appears in)."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from services.guides.models import Audience, Material, Scenario, ScenarioChoice, ServiceItem, Topic
from services.site import request_site_refresh

WATCHED = (ServiceItem, Material, Topic, Audience, Scenario, ScenarioChoice)


@receiver(post_save)
@receiver(post_delete)
def catalogue_changed(sender, instance=None, raw=False, **kwargs) -> None:
    if sender in WATCHED and not raw:
        request_site_refresh(f"办事指南：{instance}", sender=sender)


@receiver(m2m_changed)
def catalogue_links_changed(sender, instance=None, action="", **kwargs) -> None:
    if action.startswith("post_") and isinstance(instance, WATCHED):
        request_site_refresh(f"办事指南：{instance}", sender=type(instance))
