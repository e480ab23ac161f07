"""The one exception a publish raises: its message is for the user (Chinese first, via gettext)."""

from __future__ import annotations

try:  # gettext when Django is configured, the plain message otherwise (the core works without Django)
    from django.utils.translation import gettext as _gettext

    def _(message: str) -> str:
        try:
            return _gettext(message)
        except Exception:  # noqa: BLE001 - settings not configured
            return message
except ImportError:  # pragma: no cover

    def _(message: str) -> str:
        return message


class PublishError(Exception):
    """A publish that cannot go on; ``str(exc)`` is a complete sentence for the user."""
