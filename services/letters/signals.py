"""Enqueue a site build when a public letter is answered (after the transaction commits)."""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from services.letters.models import Letter

logger = logging.getLogger(__name__)


def enqueue_site_build(reason: str) -> bool:
    """Ask the site generator's task (engineer C's ``site_generator.tasks``) for an incremental build.

    Returns False when the task is not available (the build then happens at the next scheduled run)."""
    try:
        from site_generator import tasks
    except ImportError:
        logger.info("site_generator.tasks not available; letters appear at the next site build")
        return False
    task = getattr(tasks, "build_site_task", None) or getattr(tasks, "build_site", None)
    if task is None:
        logger.info("site_generator.tasks has no build task; letters appear at the next site build")
        return False
    try:
        task.enqueue(**_task_kwargs(task, reason))
    except Exception:  # a queue outage must not fail the staff member's save
        logger.exception("could not enqueue a site build after %s", reason)
        return False
    return True


def _task_kwargs(task, reason: str) -> dict:
    import inspect

    func = getattr(task, "func", task)
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}
    return {"reason": reason} if "reason" in params else {}


@receiver(post_save, sender=Letter)
def letter_saved(sender, instance: Letter, created: bool, **kwargs) -> None:
    published_now = instance.is_published
    was_published = getattr(instance, "_was_published", False)
    if published_now or was_published:
        transaction.on_commit(lambda: enqueue_site_build(f"letter {instance.number}"))
    instance._was_published = published_now


def remember_published(sender, instance: Letter, **kwargs) -> None:
    instance._was_published = instance.is_published


from django.db.models.signals import post_init  # noqa: E402

post_init.connect(remember_published, sender=Letter)
