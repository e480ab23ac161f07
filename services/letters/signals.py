"""Ask for a site build when what the site shows of a letter changes (built after the transaction commits).

A public letter's pages (``letters/``, ``letters/<number>/``, the statistics; ``pages.py``) are
built again when a save changes what they show: the save asks for a build
(``services.site.request_site_refresh``) only when the letter is (or was) public and one of the
fields the site shows, or its publication state, changed; deleting a public letter asks too (its
page becomes "不再公开"). Letters that are not public change only the monthly statistics: the daily
job (``pages.refresh_statistics``) refreshes those.
"""

import logging

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from services.letters import public
from services.letters.models import Letter
from services.site import request_site_refresh

logger = logging.getLogger(__name__)

# What the letter pages and statistics show of a letter (``public.FIELDS``, month, deadline), and
# what decides whether it is public (``Letter.PUBLIC``).
SITE_FIELDS = tuple(dict.fromkeys((*public.FIELDS, "received_at", "deadline", *Letter.PUBLIC)))


def _site_view(letter: Letter) -> tuple | None:
    """The values the site shows, or None when some are not loaded (deferred: unknown)."""
    values = letter.__dict__
    if any(name not in values for name in SITE_FIELDS):
        return None
    return tuple(values[name] for name in SITE_FIELDS)


def _is_public(view: tuple) -> bool:
    return Letter.is_public(dict(zip(SITE_FIELDS, view, strict=True)))


@receiver(post_save, sender=Letter)
def letter_saved(sender, instance: Letter, created: bool, **kwargs) -> None:
    before = None if created else getattr(instance, "_site_view", None)
    now = _site_view(instance)
    if now is None or (before is None and not created):
        # some fields were not loaded: cannot tell what changed, ask when it may be on the site
        wanted = instance.is_published or not created
    else:
        public_before = before is not None and _is_public(before)
        wanted = (public_before or _is_public(now)) and before != now
    if wanted:
        request_site_refresh(f"letter {instance.number}", sender=sender)
    instance._site_view = now if now is not None else _site_view(instance)


@receiver(post_delete, sender=Letter)
def letter_deleted(sender, instance: Letter, **kwargs) -> None:
    view = getattr(instance, "_site_view", None) or _site_view(instance)
    if view is None or _is_public(view):
        request_site_refresh(f"letter {instance.number} deleted", sender=sender)


@receiver(post_init, sender=Letter)
def remember_site_view(sender, instance: Letter, **kwargs) -> None:
    """Remember what the site shows of the loaded letter, so a save can tell whether it changed.

    Reads only loaded fields (never a deferred one, which would cost a query per letter)."""
    instance._site_view = _site_view(instance)
