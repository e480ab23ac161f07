"""Applications as cases for ratings and supervision (see services.cases)."""

import datetime as dt
import hmac
from collections.abc import Iterable

from services.cases import CaseInfo

FIELDS = ("number", "item", "department", "accepted_on", "deadline", "closed_on", "handler_contact", "query_code")


def _info(row: dict) -> CaseInfo:
    return CaseInfo(
        module="status", number=row["number"], title=row["item"], item=row["item"],
        department=row["department"], accepted=row["accepted_on"], deadline=row["deadline"],
        closed_on=row["closed_on"],
        handler_contacts=tuple(c.strip() for c in row["handler_contact"].split(",") if c.strip()),
    )


class StatusCases:
    module = "status"

    def _qs(self):
        from services.status.models import Application

        return Application.objects.values(*FIELDS)

    def get(self, number: str) -> CaseInfo | None:
        row = self._qs().filter(number=number).first()
        return _info(row) if row else None

    def verify(self, number: str, query_code: str) -> CaseInfo | None:
        row = self._qs().filter(number=number).first()
        if row and hmac.compare_digest(row["query_code"].encode(), str(query_code).encode()):
            return _info(row)
        return None

    def iter_open(self) -> Iterable[CaseInfo]:
        for row in self._qs().filter(closed_on__isnull=True).iterator(chunk_size=2000):
            yield _info(row)

    def iter_closed_between(self, start: dt.date, end: dt.date) -> Iterable[CaseInfo]:
        for row in self._qs().filter(closed_on__gte=start, closed_on__lte=end).iterator(chunk_size=2000):
            yield _info(row)

    def on_bad_rating(self, number: str) -> None:
        """A bad rating of an application is handled by the ratings workflow (核实、整改、回复)."""
