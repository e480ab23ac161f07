"""The build's configuration from Django settings and the database: the one place where the CMS
turns its settings into the generator's plain ``BuildConfig``."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from site_generator.config import DEFAULT_PORTAL, THEMES_DIR, BuildConfig


def from_settings(**overrides) -> BuildConfig:
    """A BuildConfig from Django settings and the Department table (when the DB is reachable)."""
    portal = dict(DEFAULT_PORTAL)
    portal.update(getattr(settings, "GOVSITE_PORTAL", {}) or {})
    theme = getattr(settings, "GOVSITE_THEME", "default") or "default"
    site_themes = dict(getattr(settings, "GOVSITE_SITE_THEMES", {}) or {})
    if isinstance(theme, dict):  # a per-site mapping with "default" for the rest
        site_themes = {**{k: v for k, v in theme.items() if k != "default"}, **site_themes}
        theme = theme.get("default", "default")
    dirs = [Path(p) for p in getattr(settings, "GOVSITE_THEMES_DIRS", [])] + [THEMES_DIR]
    override = getattr(settings, "GOVSITE_THEME_OVERRIDE_DIR", None)
    cfg = BuildConfig(
        portal=portal,
        theme=theme,
        site_themes=site_themes,
        themes_dirs=dirs,
        override_dir=Path(override) if override else None,
        departments=_departments_from_db(),
        plugins=list(getattr(settings, "GOVSITE_BUILD_PLUGINS", [])),
        processes=int(getattr(settings, "GOVSITE_BUILD_PROCESSES", 2)),
    )
    # The links come from the configured plugins, not from a ``plugins`` override: they are part
    # of the build fingerprint, so ``build_site --no-plugins`` must not change them (it would turn
    # an incremental build into a full one without the plugins' pages).
    cfg.service_links = _service_links(cfg.plugins)
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


SERVICES_PLUGIN = "services.plugin"
# Build plugins that render data of their own (not documents): a plugin refresh
# (``PendingChange`` of kind ``plugins``) only makes sense when one of them is in the build.
DATA_PLUGINS = (SERVICES_PLUGIN,)


def renders_own_data(plugins) -> bool:
    """Whether a build with these plugins has pages to rewrite on a plugin refresh."""
    return any(p in DATA_PLUGINS for p in plugins or ())


def _service_links(plugins: list[str]) -> list[dict]:
    """The enabled service modules' pages, linked only when the build writes them."""
    if SERVICES_PLUGIN not in plugins:
        return []
    try:
        from services.registry import site_links
    except ImportError:
        return []
    return site_links()


def _departments_from_db() -> list[tuple[str, str]]:
    try:
        from content_models.models import Department

        return [(d.slug, d.name) for d in Department.objects.order_by("sort_order", "slug")]
    except Exception:  # no table yet (fresh install): departments come from the records
        return []
