"""Proposals as cases for supervision: three months from assignment (services.cases)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from services.cases import CaseInfo, split_contacts
from services.proposals.models import Proposal

NUMBER = re.compile(r"^(NPC|CPPCC)(\d{4})-(.+)$")  # Proposal.number


def _info(p: Proposal) -> CaseInfo:
    return CaseInfo(
        module="proposals", number=p.number, title=p.title, item=p.get_kind_display(),
        department=p.department.name if p.department else "未交办", accepted=p.assigned_on, deadline=p.deadline,
        closed_on=p.answered_on if p.status == Proposal.Status.ANSWERED else None,
        handler_contacts=split_contacts(p.handler_contact), department_id=p.department_id,
    )


class ProposalCases:
    module = "proposals"
    ratable = False  # deputies and members answer the handling in their own 满意度 forms

    def _find(self, number: str) -> Proposal | None:
        match = NUMBER.match(number)
        if match is None:
            return None
        kind, year, serial = match.groups()
        return Proposal.objects.select_related("department").filter(
            kind=kind.lower(), year=int(year), serial=serial).first()

    def get(self, number: str) -> CaseInfo | None:
        p = self._find(number)
        return _info(p) if p else None

    def verify(self, number: str, query_code: str) -> CaseInfo | None:
        return None  # no public lookup

    def iter_open(self) -> Iterable[CaseInfo]:
        qs = Proposal.objects.select_related("department").filter(status=Proposal.Status.ASSIGNED)
        for p in qs.iterator(chunk_size=2000):
            yield _info(p)

    def iter_closed_between(self, start: dt.date, end: dt.date) -> Iterable[CaseInfo]:
        qs = Proposal.objects.select_related("department").filter(
            status=Proposal.Status.ANSWERED, answered_on__gte=start, answered_on__lte=end)
        for p in qs.iterator(chunk_size=2000):
            yield _info(p)

    def on_bad_rating(self, number: str) -> None:
        return None


cases = ProposalCases()
