"""The surveys' pages on the static site (``SurveysConfig.site_pages``), as plain data.

- ``surveys/index.html``: 进行中, 未开始 and 已结束 surveys with their dates and state;
- ``surveys/<number>/index.html``: the questionnaire (the form while open; a link to the results
  once published);
- ``surveys/<number>/results/index.html`` and ``results.csv``: the published results, as bars
  drawn by CSS with every figure in the text (no JavaScript; screen readers read the numbers),
  and the same figures as CSV.

A survey's results are counted only for a survey whose results are published; its pages are
versioned by what they show, so a build after one survey closes recounts only that one.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from cms.service_modules import PageSet, PageSpec
from services import conf
from services.site import request_site_refresh
from services.surveys import public, results
from services.surveys.models import State, Survey

COLUMN = "政民互动"


def survey_pages(s: Survey, row: dict, api: str) -> list[PageSpec]:
    pages = [PageSpec(f"surveys/{s.number}/index.html", "surveys/detail.html", {
        "s": row, "api_base": api, "meta": {"title": s.title, "column": COLUMN, "canonical": row["url"]},
    })]
    if row["state"] == State.PUBLISHED:
        counted = results.compute(s)
        pages.append(PageSpec(f"surveys/{s.number}/results/index.html", "surveys/results.html", {
            "s": row, "results": counted,
            "meta": {"title": f"{s.title} 调查结果", "column": COLUMN, "canonical": row["results_url"]},
        }))
        pages.append(PageSpec(f"surveys/{s.number}/results.csv", "surveys/results.csv", {
            "csv": results.as_csv(s, counted),
        }))
    return pages


def site_pages() -> list[PageSet]:
    today = timezone.localdate()
    api = conf.api_base()
    items = [(s, public.survey_row(s, today)) for s in public.visible()]
    rows = [row for _s, row in items]
    groups = [
        ("进行中", [r for r in rows if r["state"] == State.OPEN]),
        ("即将开始", [r for r in rows if r["state"] == State.UPCOMING]),
        ("已结束", [r for r in rows if r["state"] in (State.CLOSED, State.PUBLISHED)]),
    ]
    pages = [PageSpec("surveys/index.html", "surveys/list.html", {
        "groups": groups, "count": len(rows),
        "meta": {"title": "网上调查", "column": COLUMN, "canonical": "/surveys/"},
    })]
    for s, row in items:
        pages += survey_pages(s, row, api)
    return [PageSet("surveys", pages)]


def daily_refresh(today: dt.date) -> str | None:
    """Daily backstop of the scheduled refreshes: a survey opening today or closed since yesterday."""
    changed = Survey.objects.filter(Q(start_date=today) | Q(end_date=today - dt.timedelta(days=1))).exists()
    if changed and request_site_refresh(f"网上调查开始或截止 {today}"):
        return "网上调查：已请求更新网站上的调查页面"
    return None
