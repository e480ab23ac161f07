"""Enqueue a site build when a public letter is answered (after the transaction commits)."""

import logging

from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from services.letters.models import Letter

logger = logging.getLogger(__name__)


def enqueue_site_build(reason: str) -> bool:
    """Ask engineer C's build queue (``site_generator``) for a site build; False when it is absent.

    ``site_generator.jobs.enqueue_build`` coalesces (no second task while one waits); the task
    ``site_generator.tasks.build_site_changes`` is the fallback. A queue outage must not fail the
    staff member's save, so errors are logged, not raised.
    """
    enqueue = None
    try:
        from site_generator import jobs

        enqueue = getattr(jobs, "enqueue_build", None)
    except ImportError:
        pass
    if enqueue is None:
        try:
            from site_generator.tasks import build_site_changes
        except ImportError:
            logger.info("site_generator build queue not available; letters appear at the next site build")
            return False
        enqueue = build_site_changes.enqueue
    try:
        enqueue()
    except Exception:
        logger.exception("could not enqueue a site build after %s", reason)
        return False
    return True


@receiver(post_save, sender=Letter)
def letter_saved(sender, instance: Letter, created: bool, **kwargs) -> None:
    published_now = instance.is_published
    was_published = getattr(instance, "_was_published", False)
    if published_now or was_published:
        transaction.on_commit(lambda: enqueue_site_build(f"letter {instance.number}"))
    instance._was_published = published_now


@receiver(post_init, sender=Letter)
def remember_published(sender, instance: Letter, **kwargs) -> None:
    """Remember whether the loaded letter was on the site, so withdrawing it also triggers a build."""
    instance._was_published = instance.is_published
