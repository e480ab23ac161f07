"""When an administrator enters or changes a year's holidays (``services.models.CalendarYear``),
the stored deadlines of open requests whose clock reaches that year are counted again, so
listings, supervision and the applicant see the true date (and no longer 暂定) at once."""

from __future__ import annotations

from django.db.models import Q

from services.inforequests.models import InfoRequest
from services.inforequests.workflow import recount
from services.workdays import calendar_changed


def recount_open_requests(years: frozenset[int], **kwargs) -> None:
    """Once per committed calendar change (``services.workdays.calendar_changed``)."""
    reaching = Q(deadline_provisional=True) | Q(deadline__year__gte=min(years)) | Q(deadline__isnull=True)
    rows = InfoRequest.objects.filter(status__in=InfoRequest.OPEN).filter(reaching)
    for pk in rows.values_list("pk", flat=True):
        recount(pk)


calendar_changed.connect(recount_open_requests, dispatch_uid="inforequests-recount-deadlines")
