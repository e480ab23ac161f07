"""The 条例's clock on real holidays (dates counted by hand on the State Council's calendars):
Spring Festival 2026 (Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked), Qingming 2026 (Apr 4–6),
National Day 2025 (Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked)."""

import datetime as dt

import pytest

from services import workdays
from services.inforequests import clock
from services.inforequests.clock import ClockError, ClockEvent, compute

pytestmark = pytest.mark.django_db  # the calendar reads the administrators' years
D = dt.date


@pytest.fixture(autouse=True)
def fresh_calendar():
    workdays.forget_admin_calendar()


def ev(kind, on, days=0):
    return ClockEvent(kind, on, days)


def test_twenty_working_days_across_spring_festival_count_the_adjusted_saturdays():
    c = compute([ev(clock.RECEIVE, D(2026, 2, 6))])
    # Feb 9–13 (5), Sat 14 (6), Feb 24–27 (10), Sat 28 (11), Mar 2–6 (16), Mar 9–12 (20)
    assert c.deadline == D(2026, 3, 12) and c.state == "running" and not c.provisional


def test_one_extension_of_up_to_twenty_days_skips_qingming():
    c = compute([ev(clock.RECEIVE, D(2026, 2, 6)), ev(clock.EXTEND, D(2026, 3, 5), 20)])
    # from Mar 12: Mar 13 (1), 16–20, 23–27 (11), 30–31, Apr 1–3 (16), [Apr 4–6 off], Apr 7–10 (20)
    assert c.deadline == D(2026, 4, 10) and c.extended_days == 20
    with pytest.raises(ClockError, match="只能延长一次"):
        compute([ev(clock.RECEIVE, D(2026, 2, 6)), ev(clock.EXTEND, D(2026, 3, 2), 5), ev(clock.EXTEND, D(2026, 3, 3), 5)])
    with pytest.raises(ClockError, match="不超过 20"):
        compute([ev(clock.RECEIVE, D(2026, 2, 6)), ev(clock.EXTEND, D(2026, 3, 2), 21)])


def test_supplement_restarts_the_clock_from_its_arrival():
    events = [ev(clock.RECEIVE, D(2026, 2, 6)), ev(clock.SUPPLEMENT_REQUESTED, D(2026, 2, 13))]
    waiting = compute(events)
    assert waiting.state == "awaiting_supplement" and waiting.deadline is None
    c = compute([*events, ev(clock.SUPPLEMENT_RECEIVED, D(2026, 2, 25))])
    # Feb 26, 27, Sat 28 (3), Mar 2–6 (8), 9–13 (13), 16–20 (18), 23, 24 (20)
    assert c.deadline == D(2026, 3, 24)


def test_supplement_notice_only_within_seven_working_days():
    # Feb 9–13 (5), Sat Feb 14 (6), [holiday], Feb 24 (7): still in time on the 24th, not on the 25th
    compute([ev(clock.RECEIVE, D(2026, 2, 6)), ev(clock.SUPPLEMENT_REQUESTED, D(2026, 2, 24))])
    with pytest.raises(ClockError, match="7 个工作日"):
        compute([ev(clock.RECEIVE, D(2026, 2, 6)), ev(clock.SUPPLEMENT_REQUESTED, D(2026, 2, 25))])


def test_third_party_consultation_stops_the_clock_over_national_day():
    start = [ev(clock.RECEIVE, D(2025, 9, 22)), ev(clock.CONSULT_START, D(2025, 9, 26))]
    paused = compute(start)
    # used Sep 23–26 (4); the third party has until Oct 23: Sun 28 (1), 29, 30, Oct 9, 10, Sat 11 (6), 13–17, 20–23
    assert paused.state == "paused" and paused.deadline is None and paused.consultation_due == D(2025, 10, 23)
    # if the third party takes all 15 days: 16 left from Oct 23 → Oct 24, 27–31, Nov 3–7, 10–14
    assert paused.latest_deadline == D(2025, 11, 14) == paused.shown_deadline
    answered = compute([*start, ev(clock.CONSULT_END, D(2025, 10, 16))])
    # 16 left from Oct 16: Oct 17 (1), 20–24 (6), 27–31 (11), Nov 3–7 (16)
    assert answered.deadline == D(2025, 11, 7) and answered.days_used == 4
    late = compute([*start, ev(clock.CONSULT_END, D(2025, 10, 30))])  # no opinion within the 15 days
    assert late.deadline == D(2025, 11, 14)


def test_supplement_consultation_and_extension_combined():
    events = [
        ev(clock.RECEIVE, D(2026, 2, 2)),
        ev(clock.SUPPLEMENT_REQUESTED, D(2026, 2, 11)),  # Feb 3–6, 9–11: the 7th working day
        ev(clock.SUPPLEMENT_RECEIVED, D(2026, 2, 13)),
    ]
    # Sat 14 (1), Feb 24–27 (5), Sat 28 (6), Mar 2–6 (11), 9–13 (16), 16–19 (20)
    assert compute(events).deadline == D(2026, 3, 19)
    events.append(ev(clock.CONSULT_START, D(2026, 3, 5)))  # used: Sat 14, 24–27, Sat 28, Mar 2–5 = 10
    assert compute(events).days_used == 10
    events.append(ev(clock.CONSULT_END, D(2026, 3, 13)))
    assert compute(events).deadline == D(2026, 3, 27)  # 10 left: Mar 16–20, 23–27
    events.append(ev(clock.EXTEND, D(2026, 3, 20), 20))
    # 30 left from Mar 13: …Mar 27 (10), 30–31, Apr 1–3 (15), [Qingming], Apr 7–10 (19), 13–17, 20–24, 27 (30)
    c = compute(events)
    assert c.deadline == D(2026, 4, 27) and c.extended_days == 20 and c.supplement_requested


def test_a_deadline_reaching_an_unannounced_year_is_provisional():
    c = compute([ev(clock.RECEIVE, D(2026, 12, 15))])
    assert c.deadline == D(2027, 1, 12) and c.provisional


def test_events_out_of_order_are_refused():
    with pytest.raises(ClockError):
        compute([ev(clock.CONSULT_END, D(2026, 3, 1))])
    with pytest.raises(ClockError):
        compute([ev(clock.RECEIVE, D(2026, 3, 2)), ev(clock.SUPPLEMENT_RECEIVED, D(2026, 3, 3))])
    with pytest.raises(ClockError, match="早于"):
        compute([ev(clock.RECEIVE, D(2026, 3, 2)), ev(clock.CONSULT_START, D(2026, 3, 1))])
