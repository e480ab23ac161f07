"""Figures for the supervisor dashboard: open cards by department, on-time rate per department."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count

from services.cases import providers
from services.supervision.models import Card


def _cards(department_ids: frozenset[int] | None):
    qs = Card.objects.filter(resolved_on__isnull=True)
    return qs if department_ids is None else qs.filter(unit_id__in=department_ids)


def open_cards_by_department(department_ids: frozenset[int] | None = None) -> list[dict]:
    """Open cards per department; ``department_ids`` narrows to a department's staff's own."""
    rows = _cards(department_ids).values("department", "level").annotate(n=Count("id"))
    table: dict[str, dict[str, int]] = defaultdict(lambda: {"warning": 0, "yellow": 0, "red": 0})
    for row in rows:
        table[row["department"]][row["level"]] = row["n"]
    return [{"department": d, **counts} for d, counts in sorted(table.items(), key=lambda kv: (-kv[1]["red"],
                                                                                                 -kv[1]["yellow"],
                                                                                                 kv[0]))]


def on_time_rates(today: dt.date, days: int = 365, department_ids: frozenset[int] | None = None) -> list[dict]:
    """Per department: cases closed in the last ``days`` days, how many on time, and open overdue ones."""
    stats: dict[str, dict[str, int]] = defaultdict(lambda: {"closed": 0, "on_time": 0, "open": 0, "overdue": 0})
    start = today - dt.timedelta(days=days)
    for provider in providers().values():
        for case in provider.iter_closed_between(start, today):
            if department_ids is not None and case.department_id not in department_ids:
                continue
            s = stats[case.department]
            s["closed"] += 1
            s["on_time"] += case.closed_on <= case.deadline
        for case in provider.iter_open():
            if department_ids is not None and case.department_id not in department_ids:
                continue
            s = stats[case.department]
            s["open"] += 1
            s["overdue"] += today > case.deadline
    out = []
    for department, s in sorted(stats.items()):
        rate = round(100.0 * s["on_time"] / s["closed"], 1) if s["closed"] else None
        out.append({"department": department, **s, "rate": rate})
    return out


def open_cards(limit: int = 200, department_ids: frozenset[int] | None = None) -> list[Card]:
    return list(_cards(department_ids).order_by("department", "-level", "deadline")[:limit])
