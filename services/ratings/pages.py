"""The ratings' pages on the static site: ``ratings/index.html`` (the rating widget) and
``ratings/stats/index.html`` (好差评 statistics per department and per item)."""

from __future__ import annotations

from cms.service_modules import PageSet, PageSpec
from services import conf
from services.ratings.workflow import statistics

COLUMN = "政民互动"
LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def site_pages() -> list[PageSet]:
    api = conf.api_base()
    return [PageSet("ratings", [
        PageSpec("ratings/index.html", "partials/services/page.html", {
            "api_base": api, "widget": "ratings", "heading": "好差评",
            "meta": {"title": "好差评", "column": COLUMN, "canonical": "/ratings/"},
        }),
        PageSpec("ratings/stats/index.html", "partials/services/ratings_stats.html", {
            "api_base": api, "departments": statistics("department"), "items": statistics("item"), "levels": LEVELS,
            "meta": {"title": "好差评统计", "column": COLUMN, "canonical": "/ratings/stats/"},
        }),
    ])]
