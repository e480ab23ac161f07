"""Ask for a site build when the ratings statistics (``ratings/stats/``) change.

A new rating, a changed level/department/item/default flag, or a deleted rating changes the
counts on the static site; handling a bad rating (核实、整改、回复、申诉) does not. The request
(``services.site.request_site_refresh``) is recorded in the saving transaction; the build reads the
ratings' pages again (``pages.py``).
"""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from services.ratings.models import Rating
from services.site import request_site_refresh

# What ``services.ratings.workflow.statistics`` counts.
STATS_FIELDS = ("level", "department", "item", "is_default")


def _stats_view(rating: Rating) -> tuple | None:
    values = rating.__dict__
    if any(name not in values for name in STATS_FIELDS):
        return None
    return tuple(values[name] for name in STATS_FIELDS)


@receiver(post_save, sender=Rating)
def rating_saved(sender, instance: Rating, created: bool, **kwargs) -> None:
    now = _stats_view(instance)
    if created or now is None or getattr(instance, "_stats_view", None) != now:
        request_site_refresh(f"rating {instance.module}:{instance.number}", sender=sender)
    instance._stats_view = now


@receiver(post_delete, sender=Rating)
def rating_deleted(sender, instance: Rating, **kwargs) -> None:
    request_site_refresh(f"rating {instance.module}:{instance.number} deleted", sender=sender)


@receiver(post_init, sender=Rating)
def remember_stats_view(sender, instance: Rating, **kwargs) -> None:
    instance._stats_view = _stats_view(instance)
