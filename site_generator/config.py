"""What a build needs to know besides the records: plain data, no Django.

The CMS fills a BuildConfig from its settings and database (``cms.build.config.from_settings``);
the benchmarks and tests build one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from site_generator.plugins import BuildPlugin

THEMES_DIR = Path(__file__).resolve().parent.parent / "themes"

DEFAULT_PORTAL = {
    "name": "政府信息公开",
    "domain": "localhost",
    "base_url": "http://localhost",
    "site_id_code": "",
    # The footer's identity marks (党政机关网站标识, ICP and 公安 filing numbers, 主办/承办, contact,
    # 我为政府网站找错): see ``site_generator.identity``; the CMS fills them from GOVSITE_IDENTITY.
    "identity": {},
}


@dataclass
class BuildConfig:
    portal: dict = field(default_factory=lambda: dict(DEFAULT_PORTAL))
    theme: str = "default"
    # Per-department theme switch: {"<site slug>": "<theme name>"}.
    site_themes: dict[str, str] = field(default_factory=dict)
    themes_dirs: list[Path] = field(default_factory=lambda: [THEMES_DIR])
    # Templates here win over the theme's (``<dir>/<name>.html`` and ``<dir>/sites/<site>/<name>.html``).
    override_dir: Path | None = None
    # Templates found after the theme chain: the default templates of contributed pages (a service
    # module's own folder), so a theme or the override directory can still restyle them.
    template_dirs: list[Path] = field(default_factory=list)
    # Known departments in display order: [(slug, name)]. Sites seen only in records are added,
    # named after their most frequent 发布机构.
    departments: list[tuple[str, str]] = field(default_factory=list)
    page_size: int = 20
    feed_size: int = 50
    sitemap_max: int = 50000
    home_block_size: int = 8
    # The attachment file store (content_models.filestore): an attachment with a ``sha256`` found
    # here is linked into the release under ``files/``; without it, only outside links are linked.
    files_dir: Path | None = None
    processes: int = 2
    # The column tree (栏目) of the portal and the departments: see ``site_generator.columns``.
    columns: list[dict] = field(default_factory=list)
    # Build plugin objects (site_generator.plugins.BuildPlugin), run in this order.
    plugins: list[BuildPlugin] = field(default_factory=list)
    # Links to the service pages in every page's header and footer: [{"name": ..., "url": ...}]
    # (the enabled service modules that have pages on the site).
    service_links: list[dict] = field(default_factory=list)
    # Ask the build to report progress: callable(str) or None.
    progress: object = None

    @property
    def base_url(self) -> str:
        return str(self.portal.get("base_url", "")).rstrip("/")
