"""Ask for a site build when a public letter is answered or leaves the site (after the transaction commits)."""

import importlib
import logging

from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from services.letters.models import Letter

logger = logging.getLogger(__name__)


def enqueue_site_build(reason: str) -> bool:
    """Ask the site build queue (``site_generator.jobs``) to run the build plugins; False when it is absent.

    No document changed, so the request is a ``plugins`` pending change: the queued incremental
    build makes a new release in which ``services.plugin`` rewrites the letter pages, and
    ``publish.plugin`` uploads them. The marker is written in the caller's transaction (the task
    is enqueued once it commits); a queue outage must not fail the staff member's save, so errors
    are logged, not raised.
    """
    try:
        jobs = importlib.import_module("site_generator.jobs")
    except ImportError:
        jobs = None
    request = getattr(jobs, "request_plugin_refresh", None)
    if request is None:
        logger.info("site_generator build queue not available; letters appear at the next site build")
        return False
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the letter's save intact
            request(reason)
    except Exception:
        logger.exception("could not request a site build after %s", reason)
        return False
    return True


@receiver(post_save, sender=Letter)
def letter_saved(sender, instance: Letter, created: bool, **kwargs) -> None:
    published_now = instance.is_published
    was_published = getattr(instance, "_was_published", False)
    if published_now or was_published:
        enqueue_site_build(f"letter {instance.number}")
    instance._was_published = published_now


@receiver(post_init, sender=Letter)
def remember_published(sender, instance: Letter, **kwargs) -> None:
    """Remember whether the loaded letter was on the site, so withdrawing it also triggers a build."""
    instance._was_published = instance.is_published
