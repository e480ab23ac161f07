"""Applications as cases for ratings and supervision (see services.cases)."""

import datetime as dt
from collections.abc import Iterable

from services.cases import CaseInfo, RowCases, split_contacts
from services.status.models import Application

FIELDS = ("number", "item", "department", "accepted_on", "deadline", "closed_on", "handler_contact", "query_code",
          "handling_department_id")


def _info(row: dict) -> CaseInfo:
    return CaseInfo(
        module="status", number=row["number"], title=row["item"], item=row["item"],
        department=row["department"], accepted=row["accepted_on"], deadline=row["deadline"],
        closed_on=row["closed_on"],
        handler_contacts=split_contacts(row["handler_contact"]), department_id=row["handling_department_id"],
    )


class StatusCases(RowCases):
    module = "status"

    def _qs(self):
        return Application.objects.values(*FIELDS)

    _info = staticmethod(_info)

    def iter_open(self) -> Iterable[CaseInfo]:
        for row in self._qs().filter(closed_on__isnull=True).iterator(chunk_size=2000):
            yield _info(row)

    def iter_closed_between(self, start: dt.date, end: dt.date) -> Iterable[CaseInfo]:
        for row in self._qs().filter(closed_on__gte=start, closed_on__lte=end).iterator(chunk_size=2000):
            yield _info(row)

    def on_bad_rating(self, number: str) -> None:
        """A bad rating of an application is handled by the ratings workflow (核实、整改、回复)."""


cases = StatusCases()
