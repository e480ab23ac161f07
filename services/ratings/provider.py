"""Bad ratings as cases with a deadline (the rectification reply), so 电子监察 watches them too."""

import datetime as dt
from collections.abc import Iterable

from services.cases import CaseInfo
from services.ratings.models import Rating


def _info(r) -> CaseInfo:
    return CaseInfo(
        module="ratings", number=f"{r.module}:{r.number}", title=f"差评整改回复（{r.get_level_display()}）",
        item=r.item, department=r.department, accepted=r.rated_at.date(), deadline=r.reply_deadline,
        closed_on=r.replied_on,
    )


class BadRatingCases:
    module = "ratings"
    ratable = False  # a rating's reply is not itself rated

    def _qs(self):
        return Rating.objects.filter(level__in=Rating.BAD, reply_deadline__isnull=False)

    def get(self, number: str) -> CaseInfo | None:
        module, _sep, case_number = number.partition(":")
        r = self._qs().filter(module=module, number=case_number).first()
        return _info(r) if r else None

    def verify(self, number: str, query_code: str) -> CaseInfo | None:
        return None

    def iter_open(self) -> Iterable[CaseInfo]:
        for r in self._qs().filter(replied_on__isnull=True).iterator():
            yield _info(r)

    def iter_closed_between(self, start: dt.date, end: dt.date) -> Iterable[CaseInfo]:
        for r in self._qs().filter(replied_on__gte=start, replied_on__lte=end).iterator():
            yield _info(r)

    def on_bad_rating(self, number: str) -> None:
        return None


cases = BadRatingCases()
