"""The build's configuration from Django settings and the database: the one place where the CMS
turns its settings into the generator's plain ``BuildConfig``."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cms.build.site_structure import columns
from cms.service_modules import ServiceModule, enabled_modules, service_pages_enabled
from content_models.models import Department
from site_generator.config import DEFAULT_PORTAL, THEMES_DIR, BuildConfig
from site_generator.plugins import BuildPlugin

logger = logging.getLogger("site_generator")


def from_settings(**overrides) -> BuildConfig:
    """A BuildConfig from Django settings and the Department table (when the DB is reachable)."""
    portal = dict(DEFAULT_PORTAL)
    portal.update(getattr(settings, "GOVSITE_PORTAL", {}) or {})
    portal["identity"] = dict(getattr(settings, "GOVSITE_IDENTITY", {}) or {})
    theme = getattr(settings, "GOVSITE_THEME", "default") or "default"
    site_themes = dict(getattr(settings, "GOVSITE_SITE_THEMES", {}) or {})
    if isinstance(theme, dict):  # a per-site mapping with "default" for the rest
        site_themes = {**{k: v for k, v in theme.items() if k != "default"}, **site_themes}
        theme = theme.get("default", "default")
    dirs = [Path(p) for p in getattr(settings, "GOVSITE_THEMES_DIRS", [])] + [THEMES_DIR]
    override = getattr(settings, "GOVSITE_THEME_OVERRIDE_DIR", None)
    modules = enabled_modules() if service_pages_enabled() else []
    cfg = BuildConfig(
        portal=portal,
        theme=theme,
        site_themes=site_themes,
        themes_dirs=dirs,
        override_dir=Path(override) if override else None,
        template_dirs=[Path(m.site_templates) for m in modules if m.site_templates],
        departments=_departments_from_db(),
        columns=columns(),
        plugins=build_plugins(getattr(settings, "GOVSITE_BUILD_PLUGINS", [])),
        service_links=service_links(modules),
        processes=int(getattr(settings, "GOVSITE_BUILD_PROCESSES", 2)),
        files_dir=Path(settings.GOVSITE_FILES_DIR),
    )
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


def build_plugins(names: Iterable[str]) -> list[BuildPlugin]:
    """The plugin objects named in ``settings.GOVSITE_BUILD_PLUGINS``, in order.

    Each name is the dotted path of a class or a function that returns a plugin, called without
    arguments; a plugin that needs settings gets them from such a function here in the CMS (e.g.
    ``cms.publishing.auto_publish_plugin``). A name whose module is not installed is skipped with
    a warning; any other mistake is a configuration error.
    """
    plugins: list[BuildPlugin] = []
    for name in names:
        module_name, _, attr = name.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if module_name and exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                logger.warning("构建插件 %s 不存在，已跳过", name)
                continue
            raise
        factory = getattr(module, attr, None)
        plugin = factory() if callable(factory) else None
        if not isinstance(plugin, BuildPlugin):
            raise ImproperlyConfigured(
                f"GOVSITE_BUILD_PLUGINS 中的 {name} 应为返回构建插件的类或函数（site_generator.plugins.BuildPlugin）"
            )
        plugins.append(plugin)
    return plugins


def service_links(modules: Iterable[ServiceModule]) -> list[dict[str, str]]:
    """The header and footer links to the modules' pages (``site_link``), in ``GOVSITE_SERVICES`` order.

    Part of the build fingerprint: enabling or disabling a module with a link makes one full build.
    """
    return [{"name": str(m.site_link[0]), "url": str(m.site_link[1])} for m in modules if m.site_link]


def _departments_from_db() -> list[tuple[str, str]]:
    try:
        return [(d.slug, d.name) for d in Department.objects.order_by("sort_order", "slug")]
    except Exception:  # no table yet (fresh install), no database at hand: departments come from the records
        return []
