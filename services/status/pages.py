"""The status module's page on the static site: ``status/index.html``, holding the lookup widget."""

from __future__ import annotations

from cms.service_modules import PageSet, PageSpec
from services import conf


def site_pages() -> list[PageSet]:
    return [PageSet("status", [PageSpec("status/index.html", "partials/services/page.html", {
        "api_base": conf.api_base(), "widget": "status", "heading": "办件查询",
        "meta": {"title": "办件查询", "column": "政民互动", "canonical": "/status/"},
    })])]
