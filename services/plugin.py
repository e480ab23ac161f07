"""Build plugin: the service pages of the static site (``ServicePagesPlugin``; contract: ``site_generator.plugins``).

Writes, into every build:

- ``letters/index.html`` and ``letters/p/<n>/index.html``: public letters with their answers
  (受理日期、答复日期、答复部门、答复内容), newest answer first;
- ``letters/<number>/index.html``: one letter (a withdrawn one becomes a short "no longer public" page);
- ``letters/stats/index.html``: monthly statistics (received, answered, answered on time);
- ``ratings/stats/index.html``: 好差评 statistics per department and per item;
- ``letters/write/index.html``, ``status/index.html``, ``ratings/index.html``: pages holding the
  interactive widgets (``partials/services/<name>.html`` + ``static/services/<name>.js``).

The database is read once, in bulk, before rendering; the render loop gets plain dicts. On an
incremental build only pages whose content changed are written (content hashes kept in
``ctx.state_dir / "services"``), so publishing one answer rewrites a handful of files. Nothing here
depends on ``ctx.full`` or on the document change set beyond that: a change the site shows (a public
letter answered, edited, withdrawn or deleted; a rating; the daily job for the statistics) asks for a
"plugins only" incremental build (``services.site.request_site_refresh``, from
``services.letters.signals`` and ``services.ratings.signals``), whose empty change set still brings
these pages up to date.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from pathlib import Path

from site_generator.plugins import BasePlugin, BuildContext

logger = logging.getLogger(__name__)
PAGE_SIZE = 20
STATE_FILE = "services/pages.json"


def _api_base() -> str:
    from services import conf

    return conf.get("GOVSITE_SERVICES_API_BASE").rstrip("/")


def _enabled() -> list[str]:
    from services.registry import enabled_services

    return enabled_services()


def load_letters() -> tuple[list[dict], list[dict]]:
    """(public letters as dicts, monthly statistics)."""
    from django.db.models import Count, F, Q
    from django.db.models.functions import TruncMonth

    from services.letters.api import PUBLIC_FIELDS, public_letters, public_row
    from services.letters.models import Letter

    public = [public_row(r) for r in public_letters().values(*PUBLIC_FIELDS)]
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
    return public, stats


def department_stats(public: list[dict]) -> list[dict]:
    counts: dict[str, int] = defaultdict(int)
    for letter in public:
        counts[letter["answer_department"] or "—"] += 1
    return [{"department": d, "count": n} for d, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def load_rating_stats() -> dict[str, list[dict]]:
    from services.ratings.workflow import statistics

    return {"departments": statistics("department"), "items": statistics("item")}


def render_pages(ctx, public: list[dict], hidden: list[str], stats: list[dict], services: list[str],
                 rating_stats: dict[str, list[dict]] | None = None) -> dict[str, bytes]:
    """Plain dicts in, {relpath: html bytes} out (no database access here)."""
    api = _api_base()
    pages: dict[str, bytes] = {}

    def page(relpath: str, template: str, context: dict) -> None:
        pages[relpath] = ctx.render(template, {"api_base": api, "services": services, **context}).encode("utf-8")

    if "letters" in services:
        total_pages = max(1, -(-len(public) // PAGE_SIZE))
        for n in range(1, total_pages + 1):
            chunk = public[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]
            url = "/letters/" if n == 1 else f"/letters/p/{n}/"
            pager = {
                "show": total_pages > 1,
                "newer_url": ("/letters/" if n == 2 else f"/letters/p/{n - 1}/") if n > 1 else None,
                "older_url": f"/letters/p/{n + 1}/" if n < total_pages else None,
            }
            rel = "letters/index.html" if n == 1 else f"letters/p/{n}/index.html"
            page(rel, "partials/services/letters_list.html", {
                "letters": chunk, "count": len(public), "page_no": n if n > 1 else None, "pager": pager,
                "meta": {"title": "网上咨询投诉建议 公开信件", "column": "政民互动", "canonical": url},
            })
        for letter in public:
            page(f"letters/{letter['number']}/index.html", "partials/services/letters_detail.html", {
                "letter": letter,
                "meta": {"title": letter["subject"], "column": "政民互动",
                         "canonical": f"/letters/{letter['number']}/"},
            })
        for number in hidden:
            page(f"letters/{number}/index.html", "partials/services/letters_withdrawn.html", {
                "number": number, "meta": {"title": "信件不再公开", "column": "政民互动"},
            })
        page("letters/stats/index.html", "partials/services/letters_stats.html", {
            "months": stats, "departments": department_stats(public),
            "meta": {"title": "来信办理情况统计", "column": "政民互动", "canonical": "/letters/stats/"},
        })
        page("letters/write/index.html", "partials/services/page.html", {
            "widget": "letters", "heading": "我要写信",
            "meta": {"title": "我要写信", "column": "政民互动", "canonical": "/letters/write/"},
        })
    if "status" in services:
        page("status/index.html", "partials/services/page.html", {
            "widget": "status", "heading": "办件查询",
            "meta": {"title": "办件查询", "column": "政民互动", "canonical": "/status/"},
        })
    if "ratings" in services:
        page("ratings/index.html", "partials/services/page.html", {
            "widget": "ratings", "heading": "好差评",
            "meta": {"title": "好差评", "column": "政民互动", "canonical": "/ratings/"},
        })
        page("ratings/stats/index.html", "partials/services/ratings_stats.html", {
            **(rating_stats or {"departments": [], "items": []}),
            "levels": ["非常满意", "满意", "基本满意", "不满意", "非常不满意"],
            "meta": {"title": "好差评统计", "column": "政民互动", "canonical": "/ratings/stats/"},
        })
    return pages


def _load_state(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _save_state(path: Path, state: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, sort_keys=True), "utf-8")
    tmp.replace(path)


class ServicePagesPlugin(BasePlugin):
    """The service modules' pages in every build (see the module docstring)."""

    name = "services"

    def __init__(self) -> None:
        # page hashes of the build being written, saved once it is live (``on_live``)
        self._pending: dict[str, dict[str, str]] = {}

    def on_render(self, ctx: BuildContext) -> None:
        """Write the service pages whose content changed (all of them on a full build)."""
        services = _enabled()
        if not services:
            return
        public: list[dict] = []
        stats: list[dict] = []
        if "letters" in services:
            from django.db import DatabaseError

            try:
                public, stats = load_letters()
            except DatabaseError as exc:
                logger.warning("services: letters table not readable (%s); letters pages skipped", exc)
                services = [s for s in services if s != "letters"]
        rating_stats = None
        if "ratings" in services:
            from django.db import DatabaseError

            try:
                rating_stats = load_rating_stats()
            except DatabaseError as exc:
                logger.warning("services: ratings table not readable (%s); ratings statistics skipped", exc)
        state_path = Path(ctx.state_dir) / STATE_FILE
        previous = _load_state(state_path)
        # letters published by an earlier build but not public now (withdrawn, reopened) get a short
        # "no longer public" page in place of the old one; never-published letters get no page at all
        shown = {f"letters/{r['number']}/index.html" for r in public}
        hidden = sorted(
            rel.split("/")[1] for rel in previous
            if rel.startswith("letters/") and rel.count("/") == 2 and rel.split("/")[1].startswith("XJ") and rel not in shown
        )
        pages = render_pages(ctx, public, hidden, stats, services, rating_stats)
        old = {} if ctx.full else previous
        new: dict[str, str] = {}
        written = 0
        for rel, data in pages.items():
            digest = hashlib.sha256(data).hexdigest()
            new[rel] = digest
            if old.get(rel) == digest and (Path(ctx.out_dir) / rel).exists():
                continue
            ctx.write_file(rel, data)
            written += 1
        # saved only once the build is live: a build that fails later must not leave hashes of pages
        # that never went out
        self._pending[str(state_path)] = new
        logger.info("services: %d of %d service pages written", written, len(pages))

    def on_live(self, ctx: BuildContext) -> None:
        path = str(Path(ctx.state_dir) / STATE_FILE)
        state = self._pending.pop(path, None)
        if state is not None:
            _save_state(Path(path), state)
