"""When an administrator enters or changes a year's holidays (``services.models.CalendarYear``),
the stored deadlines of open requests are counted again, so listings, supervision and the
applicant see the true date (and no longer 暂定) at once."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from services import workdays
from services.inforequests.models import InfoRequest
from services.inforequests.workflow import recount
from services.models import CalendarDay, CalendarYear


def recount_open_requests(**kwargs) -> None:
    def run() -> None:
        workdays.forget_admin_calendar()
        for pk in InfoRequest.objects.filter(status__in=InfoRequest.OPEN).values_list("pk", flat=True):
            recount(pk)

    transaction.on_commit(run)


for model in (CalendarYear, CalendarDay):
    post_save.connect(recount_open_requests, sender=model, dispatch_uid=f"inforequests-recount-{model.__name__}")
    post_delete.connect(recount_open_requests, sender=model, dispatch_uid=f"inforequests-recount-del-{model.__name__}")
