"""The consultations' pages on the static site (``ConsultationsConfig.site_pages``), as plain data.

- ``consultations/index.html``: 征集中, 未开始 and 已结束 consultations with their dates and state;
- ``consultations/<number>/index.html``: one consultation: the draft (its document page, the
  uploaded file, published with the page under ``files/``, or the text), the dates, the approved comments (names masked) and, while it is
  open, the comment form;
- ``consultations/<number>/feedback/index.html``: the published 采纳情况 report, linking the draft
  and the final policy (the consultation page links to it).

The state depends on the date: the pages are built again when a consultation opens or closes
(``signals.py`` schedules it; ``daily_refresh`` is the daily backstop).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from cms.service_modules import FileLinks, PageSet, PageSpec, page_files
from services import conf
from services.consultations import public
from services.consultations.models import Consultation, State
from services.site import request_site_refresh

COLUMN = "政民互动"


def site_pages() -> list[PageSet]:
    today = timezone.localdate()
    api = conf.api_base()
    files = FileLinks()
    try:
        items = [(c, public.consultation_row(c, today, files)) for c in public.visible()]
    finally:
        files.close()
    rows = [row for _c, row in items]
    groups = [
        ("征集中", [r for r in rows if r["state"] == State.OPEN]),
        ("即将开始", [r for r in rows if r["state"] == State.UPCOMING]),
        ("已结束", [r for r in rows if r["state"] in (State.CLOSED, State.REPORTED)]),
    ]
    pages = [PageSpec("consultations/index.html", "consultations/list.html", {
        "groups": groups, "count": len(rows), "api_base": api,
        "meta": {"title": "意见征集", "column": COLUMN, "canonical": "/consultations/"},
    })]
    for c, row in items:
        reported = row["state"] == State.REPORTED
        pages.append(PageSpec(f"consultations/{c.number}/index.html", "consultations/detail.html", {
            "c": row, "comments": public.public_comments(c.pk, decisions=reported), "api_base": api,
            "meta": {"title": c.title, "column": COLUMN, "canonical": row["url"]},
        }, files=page_files([row["draft_file"]])))
        if reported:
            pages.append(PageSpec(f"consultations/{c.number}/feedback/index.html", "consultations/feedback.html", {
                "c": row, "report": public.feedback_report(c),
                "meta": {"title": f"{c.title} 意见采纳情况", "column": COLUMN, "canonical": row["feedback_url"]},
            }, files=page_files([row["draft_file"]])))
    return [PageSet("consultations", pages)]


def daily_refresh(today: dt.date) -> str | None:
    """Daily backstop of the scheduled refreshes: a consultation opening today or closed since yesterday."""
    changed = list(Consultation.objects.filter(Q(start_date=today) | Q(end_date=today - dt.timedelta(days=1)))
                   .values_list("draft_document_id", "final_policy_id"))
    documents = public.linked_documents(pk for pair in changed for pk in pair)
    if changed and request_site_refresh(f"意见征集开始或截止 {today}", documents=documents):
        return "意见征集：已请求更新网站上的征集页面"
    return None
