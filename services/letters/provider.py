"""Letters as cases for ratings and supervision (see services.cases)."""

import datetime as dt
from collections.abc import Iterable

from services.cases import CaseInfo, RowCases, split_contacts
from services.letters.models import Letter

FIELDS = ("number", "subject", "kind", "department", "routed_department", "accepted_on", "deadline",
          "answered_on", "status", "handler_contact", "query_code", "handling_department_id")


def _info(row: dict) -> CaseInfo:
    closed = row["answered_on"] if row["status"] == Letter.Status.ANSWERED else None
    if row["status"] == Letter.Status.REJECTED:
        closed = row["deadline"]
    return CaseInfo(
        module="letters", number=row["number"], title=row["subject"],
        item=str(Letter.Kind(row["kind"]).label), department=row["routed_department"] or row["department"] or "未分流",
        accepted=row["accepted_on"], deadline=row["deadline"], closed_on=closed,
        handler_contacts=split_contacts(row["handler_contact"]), department_id=row["handling_department_id"],
    )


class LetterCases(RowCases):
    module = "letters"

    def _qs(self):
        return Letter.objects.values(*FIELDS)

    _info = staticmethod(_info)

    def iter_open(self) -> Iterable[CaseInfo]:
        for row in self._qs().filter(status__in=Letter.OPEN).iterator(chunk_size=2000):
            yield _info(row)

    def iter_closed_between(self, start: dt.date, end: dt.date) -> Iterable[CaseInfo]:
        qs = self._qs().filter(status=Letter.Status.ANSWERED, answered_on__gte=start, answered_on__lte=end)
        for row in qs.iterator(chunk_size=2000):
            yield _info(row)

    def on_bad_rating(self, number: str) -> None:
        letter = Letter.objects.select_for_update().filter(number=number).first()
        if letter is not None and letter.status == Letter.Status.ANSWERED:
            letter.reopen()


cases = LetterCases()
