"""Deadlines come from the catalogue: a status case linked to an item takes its promised limit,
and supervision counts from that deadline."""

import datetime as dt

import pytest
from django.core import mail

from content_models.models import Department
from services.catalogue import find_item
from services.guides.models import ServiceItem
from services.status.models import Application
from services.supervision.checks import run_supervision
from services.supervision.models import Card
from services.workdays import add_workdays

pytestmark = pytest.mark.django_db
ACCEPTED = dt.date(2026, 9, 28)  # before the National Day holiday: working days, not calendar days


@pytest.fixture()
def item():
    dept = Department.objects.create(slug="zrzyj", name="自然资源局")
    return ServiceItem.objects.create(department=dept, name="建设工程规划许可证核发", code="XK001", kind="行政许可",
                                      statutory_days=20, promised_days=7)


def test_a_case_linked_to_an_item_takes_its_promised_limit(item):
    app = Application.objects.create(number="XK2026-1", applicant="许文华", item_code="XK001", accepted_on=ACCEPTED,
                                      deadline_days=20, handler_contact="clerk@nanan.gov.cn")
    assert app.deadline_days == 7
    assert app.deadline == add_workdays(ACCEPTED, 7) == dt.date(2026, 10, 13)  # 9-29, 9-30, 10-8, 10-9, 10-10 (调休 Saturday), 10-12, 10-13
    assert app.item == "建设工程规划许可证核发" and app.department == "自然资源局"
    # the catalogue changes its promise: the next save of the case follows it
    item.promised_days = 3
    item.save()
    app.save()
    assert app.deadline == add_workdays(ACCEPTED, 3)


def test_supervision_uses_the_deadline_from_the_catalogue(item):
    app = Application.objects.create(number="XK2026-2", applicant="许文华", item_code="XK001", accepted_on=ACCEPTED,
                                      handler_contact="clerk@nanan.gov.cn")
    run_supervision(add_workdays(ACCEPTED, 7))  # the promised day itself: not overdue
    assert not Card.objects.filter(level="yellow").exists()
    run_supervision(add_workdays(ACCEPTED, 8))  # 20 statutory days are far away, 7 promised are past
    assert Card.objects.filter(level="yellow", number=app.number).exists()
    assert any("黄牌" in m.subject for m in mail.outbox)


def test_an_unknown_item_code_is_a_form_error(item, admin_client):
    r = admin_client.post("/admin/snippets/services_status/application/add/", {
        "number": "N1", "query_code": "123456", "applicant": "李明", "item_code": "NOPE", "item": "",
        "department": "", "accepted_on": "2026-09-28", "deadline_days": 20, "status": "accepted",
    })
    assert r.status_code == 200 and "服务事项目录中没有这个事项编码" in r.content.decode()
    assert not Application.objects.exists()
    assert find_item("XK001").promised_days == 7 and find_item("NOPE") is None
