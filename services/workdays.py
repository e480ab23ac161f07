"""Working days on the Chinese calendar (statutory holidays and adjusted working days, 调休).

Where a day's answer comes from, first match wins:

1. the days an administrator entered (``services.models.CalendarYear``, 节假日安排 in the admin),
   so a year is right the day the State Council announces it (and a day the package has wrong
   can be corrected); in an entered year, a day not listed works Monday to Friday;
2. the ``chinese-calendar`` package, which knows the years announced before its release;
3. Monday–Friday, for a year nobody knows yet. A deadline that reaches such a year is
   *provisional* (:func:`is_provisional`): every place that shows a deadline says so, and a
   warning is logged once per year per process.

The administrators' years are read once and kept per process; a change in this process clears
them at once (signals in ``services.apps``), other processes see it within
``RELOAD_SECONDS`` (they compare the table's last change, one small query).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field

import chinese_calendar
from django.apps import apps
from django.db.models import Count, Max
from django.dispatch import Signal

logger = logging.getLogger(__name__)
# Sent once per committed change of the administrators' calendar with ``years`` (a frozenset):
# modules that store deadlines count again those reaching these years (and clear their 暂定).
calendar_changed = Signal()
_warned_years: set[int] = set()
RELOAD_SECONDS = 5.0


def _package_years() -> frozenset[int]:
    return frozenset(d.year for d in chinese_calendar.holidays) | frozenset(d.year for d in chinese_calendar.workdays)


PACKAGE_YEARS = _package_years()


@dataclass
class _AdminCalendar:
    years: frozenset[int] = frozenset()
    days: dict[dt.date, bool] = field(default_factory=dict)  # date → is a working day
    stamp: tuple = ()
    checked: float = 0.0


_state = _AdminCalendar()
_lock = threading.Lock()


def _stamp() -> tuple:
    year_model = apps.get_model("services", "CalendarYear")
    row = year_model.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (row["n"], row["last"])


def _load(stamp: tuple) -> _AdminCalendar:
    year_model = apps.get_model("services", "CalendarYear")
    day_model = apps.get_model("services", "CalendarDay")
    years = frozenset(year_model.objects.values_list("year", flat=True))
    days = {
        d: kind == "workday"
        for d, kind in day_model.objects.filter(calendar_year__year__in=years).values_list("date", "kind")
    }
    return _AdminCalendar(years, days, stamp, time.monotonic())


def _admin_calendar() -> _AdminCalendar:
    global _state
    state = _state
    if state.checked and time.monotonic() - state.checked < RELOAD_SECONDS:
        return state
    with _lock:
        stamp = _stamp()
        if stamp != _state.stamp or not _state.checked:
            _state = _load(stamp)
        else:
            _state.checked = time.monotonic()
        return _state


def forget_admin_calendar() -> None:
    """Read the administrators' years again on the next question (called when they change)."""
    global _state
    _state = _AdminCalendar()


def is_known_year(year: int) -> bool:
    """Whether the holidays of ``year`` are known (entered by an administrator or in the package)."""
    return year in _admin_calendar().years or year in PACKAGE_YEARS


def is_workday(day: dt.date) -> bool:
    """True when ``day`` is a working day in mainland China."""
    admin = _admin_calendar()
    entered = admin.days.get(day)
    if entered is not None:
        return entered
    if day.year in PACKAGE_YEARS:
        return chinese_calendar.is_workday(day)
    if day.year in admin.years:
        return day.weekday() < 5
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        logger.warning(
            "no holiday data for %s (neither entered in the admin, 节假日安排, nor in chinese-calendar): "
            "counting Monday–Friday as working days; deadlines reaching %s are marked provisional",
            day.year, day.year,
        )
    return day.weekday() < 5


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (the start day itself is not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is earlier."""
    if end == start:
        return 0
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return sign * count


def is_provisional(start: dt.date, end: dt.date | None) -> bool:
    """Whether a period (e.g. receipt to deadline) reaches a year whose holidays are unknown, so
    the date counted for it may still move when that year is announced."""
    if end is None:
        return False
    low, high = min(start, end), max(start, end)
    return any(not is_known_year(year) for year in range(low.year, high.year + 1))
