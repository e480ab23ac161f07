"""Publishing as the CMS configures it: ``publish``'s settings from Django settings, the
auto-publish build plugin, and where publish keeps its state and locks.

``publish`` itself is plain Python (``python -m publish`` runs it with settings from the
environment); this module is the only place that reads its Django settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings

from publish import conf
from publish.plugin import PublishPlugin


def publish_settings() -> dict[str, Any]:
    return conf.merge_settings(getattr(settings, "GOVSITE_PUBLISH", None), os.environ)


def auto_publish_target() -> str | None:
    return getattr(settings, "GOVSITE_AUTO_PUBLISH", None) or os.environ.get("GOVSITE_AUTO_PUBLISH") or None


def default_site_dir() -> Path:
    return Path(getattr(settings, "GOVSITE_SITE_DIR", Path("var") / "site"))


def _data_dir() -> Path:
    return Path(getattr(settings, "DATA_DIR", "var"))


def publish_lock_dir() -> Path:
    return conf.lock_dir_under(_data_dir())


def publish_state_dir(site_dir: str | os.PathLike) -> Path:
    return conf.state_dir_under(_data_dir(), site_dir)


def auto_publish_plugin() -> PublishPlugin:
    """The ``publish`` build plugin with the deployment's settings (``GOVSITE_BUILD_PLUGINS``)."""
    site_dir = default_site_dir()
    return PublishPlugin(
        site_dir=site_dir,
        settings=publish_settings(),
        to=auto_publish_target(),
        state_dir=publish_state_dir(site_dir),
        lock_dir=publish_lock_dir(),
    )
