"""Disclosure requests as cases for supervision (预警, 黄牌, 红牌) and ratings (services.cases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F

from services.cases import CaseInfo, RowCases, split_contacts
from services.inforequests.models import InfoRequest
from services.inforequests.workflow import staff_contacts
from services.workdays import add_workdays

FIELDS = ("number", "query_code", "name", "department_id", "department_name", "status", "submitted_at",
          "received_on", "deadline", "answered_on", "handler_contact")


class RequestCases(RowCases):
    module = "inforequests"

    def _qs(self):
        return InfoRequest.objects.annotate(department_name=F("department__name")).values(*FIELDS)

    def _info(self, row: dict, contacts: tuple[str, ...] | None = None) -> CaseInfo:
        accepted = row["received_on"] or row["submitted_at"].date()
        # not yet confirmed: supervised against 20 working days from submission, so nothing waits unseen
        deadline = row["deadline"] or add_workdays(accepted, 20)
        handler = split_contacts(row["handler_contact"])
        if contacts is None:
            contacts = handler or staff_contacts(row["department_id"])
        return CaseInfo(
            module=self.module, number=row["number"], title=f"{row['name']}的政府信息公开申请", item="依申请公开",
            department=row["department_name"], accepted=accepted, deadline=deadline,
            closed_on=row["answered_on"] if row["status"] == InfoRequest.Status.ANSWERED else None,
            handler_contacts=contacts, department_id=row["department_id"],
        )

    def iter_open(self) -> Iterable[CaseInfo]:
        staff: dict[int, tuple[str, ...]] = {}
        # a request waiting for the applicant's supplement has no running clock: nobody is late
        rows = self._qs().filter(status__in=InfoRequest.OPEN).exclude(status=InfoRequest.Status.SUPPLEMENT)
        for row in rows.iterator(chunk_size=2000):
            handler = split_contacts(row["handler_contact"])
            if not handler:
                if row["department_id"] not in staff:
                    staff[row["department_id"]] = staff_contacts(row["department_id"])
                handler = staff[row["department_id"]]
            yield self._info(row, handler)

    def iter_closed_between(self, start: dt.date, end: dt.date) -> Iterable[CaseInfo]:
        rows = self._qs().filter(status=InfoRequest.Status.ANSWERED, answered_on__gte=start, answered_on__lte=end)
        for row in rows.iterator(chunk_size=2000):
            yield self._info(row, ())

    def on_bad_rating(self, number: str) -> None:
        """A bad rating of a reply goes to review (行政复议/诉讼 are the applicant's remedies), not a reopening."""


cases = RequestCases()
