"""The statutory clock of a disclosure request (《政府信息公开条例》2019, Articles 30–33), as a pure
function of the request's logged events, so the deadline shown anywhere is recomputed from the
same facts and is always the true one.

- Answer within 20 working days of receipt (online: the date both sides confirmed) [Art. 33].
- One extension of up to 20 working days, approved by the head of the office [Art. 33].
- A 补正 notice within 7 working days of receipt; the clock restarts when the supplement
  arrives [Art. 30]; while the applicant has not supplied it, there is no deadline.
- A third-party consultation (15 working days for the third party) is not counted [Art. 32, 33]:
  the clock stops on the day the consultation is sent (that day counts) and runs again from the
  day the opinion arrives (not counted), or from the end of the 15 days if it does not.

The counting day is never the day of the event itself (``services.workdays.add_workdays``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from services.workdays import add_workdays, is_provisional, workdays_between

ANSWER_DAYS = 20
MAX_EXTENSION_DAYS = 20
SUPPLEMENT_NOTICE_DAYS = 7
CONSULTATION_DAYS = 15

RECEIVE = "receive"
SUPPLEMENT_REQUESTED = "supplement_requested"
SUPPLEMENT_RECEIVED = "supplement_received"
EXTEND = "extend"
CONSULT_START = "consult_start"
CONSULT_END = "consult_end"
CLOCK_KINDS = (RECEIVE, SUPPLEMENT_REQUESTED, SUPPLEMENT_RECEIVED, EXTEND, CONSULT_START, CONSULT_END)


class ClockError(ValueError):
    """An event the rules do not allow now (the message says why, in Chinese)."""


@dataclass(frozen=True)
class ClockEvent:
    kind: str
    on: dt.date
    days: int = 0


@dataclass(frozen=True)
class Clock:
    received_on: dt.date | None
    deadline: dt.date | None  # None before receipt and while waiting for a supplement or paused
    state: str  # "not_started" | "running" | "awaiting_supplement" | "paused"
    latest_deadline: dt.date | None  # while paused: the deadline if the third party uses all 15 days
    consultation_due: dt.date | None
    extended_days: int
    supplement_requested: bool
    days_used: int  # working days counted before the current run (consultations)
    provisional: bool  # the deadline reaches a year whose holidays nobody has announced

    @property
    def shown_deadline(self) -> dt.date | None:
        """The date to show: the deadline, or while paused the latest it can become."""
        return self.deadline or self.latest_deadline


def compute(events: Iterable[ClockEvent]) -> Clock:
    """The clock after ``events`` (in the order they happened). Raises :class:`ClockError` for a
    sequence the rules do not allow, so a bad event is refused before it is stored."""
    received = start = consult_since = None
    used = extension = 0
    state = "not_started"
    supplement_requested = False
    for event in events:
        if event.kind == RECEIVE:
            if received is not None:
                raise ClockError("申请已确认收到，不能重复确认")
            received = start = event.on
            state = "running"
        elif received is None:
            raise ClockError("请先确认收到申请的日期")
        elif event.on < received:
            raise ClockError("日期不能早于收到申请之日")
        elif event.kind == SUPPLEMENT_REQUESTED:
            if supplement_requested:
                raise ClockError("补正只能一次性告知")
            if state != "running" or used:
                raise ClockError("只能在收到申请后、征求意见前告知补正")
            if workdays_between(received, event.on) > SUPPLEMENT_NOTICE_DAYS:
                raise ClockError(f"补正应在收到申请之日起 {SUPPLEMENT_NOTICE_DAYS} 个工作日内一次性告知")
            supplement_requested, state, start = True, "awaiting_supplement", None
        elif event.kind == SUPPLEMENT_RECEIVED:
            if state != "awaiting_supplement":
                raise ClockError("没有等待中的补正")
            start, used, state = event.on, 0, "running"
        elif event.kind == EXTEND:
            if extension:
                raise ClockError("答复期限只能延长一次")
            if not 0 < event.days <= MAX_EXTENSION_DAYS:
                raise ClockError(f"延长期限最长不超过 {MAX_EXTENSION_DAYS} 个工作日")
            if state != "running":
                raise ClockError("只能在计时中延期")
            extension = event.days
        elif event.kind == CONSULT_START:
            if state != "running":
                raise ClockError("只能在计时中征求第三方意见")
            used += workdays_between(start, event.on)
            start, consult_since, state = None, event.on, "paused"
        elif event.kind == CONSULT_END:
            if state != "paused":
                raise ClockError("没有进行中的征求意见")
            if event.on < consult_since:
                raise ClockError("意见返回日期不能早于征求意见之日")
            start, state = min(event.on, add_workdays(consult_since, CONSULTATION_DAYS)), "running"
            consult_since = None
        else:
            raise ClockError(f"未知的计时事件：{event.kind}")

    deadline = latest = due = None
    remaining = ANSWER_DAYS + extension - used
    if state == "running":
        deadline = add_workdays(start, max(remaining, 0))
    elif state == "paused":
        due = add_workdays(consult_since, CONSULTATION_DAYS)
        latest = add_workdays(due, max(remaining, 0))
    end = deadline or latest
    return Clock(
        received_on=received, deadline=deadline, state=state, latest_deadline=latest, consultation_due=due,
        extended_days=extension, supplement_requested=supplement_requested, days_used=used,
        provisional=bool(received and end and is_provisional(received, end)),
    )
