"""Entering a new year's holidays counts again the stored deadlines of open letters, applications
and requests whose clock reaches that year, and clears their 暂定 mark; closed cases and
deadlines set by hand stay as they are. Real dates: 2027-01-01 (元旦) is a Friday, unknown to
chinese-calendar until the State Council announces 2027."""

import datetime as dt

import pytest
from django.db import transaction

from content_models.models import Department
from services.inforequests import workflow
from services.inforequests.models import InfoRequest, RequestEvent
from services.letters.models import Letter
from services.models import CalendarDay, CalendarYear
from services.status.models import Application

pytestmark = pytest.mark.django_db
D = dt.date
RECEIVED = D(2026, 12, 4)  # a Friday


def enter_2027(callbacks):
    """As the admin's form saves it: the year and its days in one transaction."""
    with callbacks(execute=True), transaction.atomic():
        year = CalendarYear.objects.create(year=2027, source="国务院办公厅关于2027年部分节假日安排的通知")
        CalendarDay.objects.create(calendar_year=year, date=D(2027, 1, 1), kind="holiday", name="元旦")
        CalendarDay.objects.create(calendar_year=year, date=D(2027, 1, 2), kind="holiday", name="元旦")
        CalendarDay.objects.create(calendar_year=year, date=D(2027, 1, 3), kind="holiday", name="元旦")


def test_entering_2027_recounts_open_letters_applications_and_requests(client, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.GOVSITE_LETTERS_DEADLINE_DAYS = 20
    letter = Letter.objects.create(name="许文华", phone="13800138000", subject="路灯", text="坏了", accepted_on=RECEIVED)
    by_hand = Letter.objects.create(name="李明", phone="13800138001", subject="噪音", text="夜间施工",
                                    accepted_on=RECEIVED)
    by_hand.deadline_from, by_hand.deadline = None, D(2027, 1, 8)  # as the admin form does when staff set it
    by_hand.save()
    app = Application.objects.create(number="XK1", applicant="许文华", item="规划许可", department="自然资源局",
                                     accepted_on=RECEIVED, deadline_days=25)
    done = Application.objects.create(number="XK2", applicant="李明", item="规划许可", department="自然资源局",
                                      accepted_on=RECEIVED, deadline_days=20, status=Application.Status.DONE)
    department = Department.objects.create(slug="zrzy", name="自然资源局")
    request = InfoRequest.objects.create(department=department, name="王芳", credential_type="居民身份证",
                                         credential_no="x", phone="13800138000", description="规划图")
    workflow.record_submission(request)
    workflow.take(request.pk, workflow.Step(RequestEvent.Action.RECEIVE, RECEIVED), None)
    for row in (letter, app, done, request):
        row.refresh_from_db()

    # before: 2027-01-01 (元旦, a Friday) counted as a working day, and every deadline says 暂定
    assert (letter.deadline, letter.deadline_provisional) == (D(2027, 1, 1), True)
    assert (app.deadline, app.deadline_provisional) == (D(2027, 1, 8), True)
    assert (request.deadline, request.deadline_provisional) == (D(2027, 1, 1), True)
    r = client.get("/api/services/letters/lookup", {"no": letter.number, "code": letter.query_code}).json()
    assert r["deadline"] == "2027-01-01" and r["deadline_provisional"] is True

    enter_2027(django_capture_on_commit_callbacks)
    for row in (letter, by_hand, app, done, request):
        row.refresh_from_db()

    assert (letter.deadline, letter.deadline_provisional) == (D(2027, 1, 4), False)  # the Monday after 元旦
    assert (app.deadline, app.deadline_provisional) == (D(2027, 1, 11), False)
    assert (request.deadline, request.deadline_provisional) == (D(2027, 1, 4), False)
    assert by_hand.deadline == D(2027, 1, 8)  # staff's own date is kept
    assert done.deadline == D(2027, 1, 1)  # closed cases keep the deadline they were judged on
    r = client.get("/api/services/letters/lookup", {"no": letter.number, "code": letter.query_code}).json()
    assert r["deadline"] == "2027-01-04" and r["deadline_provisional"] is False
