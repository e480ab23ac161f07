"""The letters' pages on the static site (``LettersConfig.site_pages``), as plain data.

- ``letters/index.html``, ``letters/p/<n>/index.html``: public letters with their answers
  (受理日期、答复日期、答复部门、答复内容), newest answer first, 20 a page;
- ``letters/<number>/index.html``: one letter; a letter that leaves the public set (withdrawn,
  reopened after a bad rating, deleted) gets a short "no longer public" page in its place, a letter
  never public gets no page at all;
- ``letters/stats/index.html``: monthly statistics (received, answered, answered on time) and the
  public letters by answering department;
- ``letters/write/index.html``: the page holding the letter-writing widget.

Read from the database in two queries before the build; the generator renders only the pages whose
content changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from cms.service_modules import PageSet, PageSpec
from services import conf
from services.letters.models import Letter
from services.letters.public import public_rows
from services.site import request_site_refresh

PAGE_SIZE = 20
COLUMN = "政民互动"
# letters/<number>/index.html (numbers are XJ + date + digits: services.letters.models.new_number)
DETAIL = re.compile(r"^letters/(XJ[^/]+)/index\.html$")


def monthly_statistics() -> list[dict]:
    """Per month of receipt, newest first: every letter, public or not."""
    monthly = (
        Letter.objects.annotate(month=TruncMonth("received_at"))
        .values("month")
        .annotate(
            received=Count("id"),
            answered=Count("id", filter=Q(status=Letter.Status.ANSWERED)),
            on_time=Count("id", filter=Q(status=Letter.Status.ANSWERED, answered_on__lte=F("deadline"))),
            consult=Count("id", filter=Q(kind=Letter.Kind.CONSULT)),
            complaint=Count("id", filter=Q(kind=Letter.Kind.COMPLAINT)),
            suggestion=Count("id", filter=Q(kind=Letter.Kind.SUGGESTION)),
        )
        .order_by("-month")
    )
    stats = []
    for row in monthly:
        month = row.pop("month")
        rate = round(100.0 * row["on_time"] / row["answered"], 1) if row["answered"] else None
        stats.append({"month": f"{month:%Y年%m月}" if month else "—", **row, "on_time_rate": rate})
    return stats


def department_statistics(public: list[dict]) -> list[dict]:
    """Public letters per answering department, most first."""
    counts: dict[str, int] = defaultdict(int)
    for letter in public:
        counts[letter["answer_department"] or "—"] += 1
    return [{"department": d, "count": n} for d, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def _page(path: str, template: str, api_base: str, context: dict) -> PageSpec:
    return PageSpec(path, template, {"api_base": api_base, **context})


def withdrawn_page(path: str) -> PageSpec | None:
    """The page in place of a letter that is no longer public; other pages that left are deleted."""
    match = DETAIL.match(path)
    if match is None:
        return None
    return _page(path, "partials/services/letters_withdrawn.html", conf.api_base(), {
        "number": match.group(1), "meta": {"title": "信件不再公开", "column": COLUMN},
    })


def site_pages() -> list[PageSet]:
    public = public_rows()
    api = conf.api_base()
    pages = []
    total_pages = max(1, -(-len(public) // PAGE_SIZE))
    for n in range(1, total_pages + 1):
        url = "/letters/" if n == 1 else f"/letters/p/{n}/"
        pager = {
            "show": total_pages > 1,
            "newer_url": ("/letters/" if n == 2 else f"/letters/p/{n - 1}/") if n > 1 else None,
            "older_url": f"/letters/p/{n + 1}/" if n < total_pages else None,
        }
        pages.append(_page(url.lstrip("/") + "index.html", "partials/services/letters_list.html", api, {
            "letters": public[(n - 1) * PAGE_SIZE : n * PAGE_SIZE], "count": len(public),
            "page_no": n if n > 1 else None, "pager": pager,
            "meta": {"title": "网上咨询投诉建议 公开信件", "column": COLUMN, "canonical": url},
        }))
    for letter in public:
        pages.append(_page(f"letters/{letter['number']}/index.html", "partials/services/letters_detail.html", api, {
            "letter": letter,
            "meta": {"title": letter["subject"], "column": COLUMN, "canonical": f"/letters/{letter['number']}/"},
        }))
    pages.append(_page("letters/stats/index.html", "partials/services/letters_stats.html", api, {
        "months": monthly_statistics(), "departments": department_statistics(public),
        "meta": {"title": "来信办理情况统计", "column": COLUMN, "canonical": "/letters/stats/"},
    }))
    pages.append(_page("letters/write/index.html", "partials/services/page.html", api, {
        "widget": "letters", "heading": "我要写信",
        "meta": {"title": "我要写信", "column": COLUMN, "canonical": "/letters/write/"},
    }))
    return [PageSet("letters", pages, tombstone=withdrawn_page)]


def refresh_statistics(today: dt.date) -> str | None:
    """Daily: the monthly statistics count every letter, public or not, so the site's statistics
    are built again once a day."""
    if request_site_refresh(f"来信统计 {today}"):
        return "咨询投诉：已请求更新网站上的来信统计页面"
    return None
