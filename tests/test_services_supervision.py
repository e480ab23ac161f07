"""Deadline supervision: warning, yellow and red cards, once each, notified, on the dashboard."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from services.status.models import Application
from services.supervision.checks import run_supervision
from services.supervision.models import Card, Rule
from services.workdays import add_workdays

pytestmark = pytest.mark.django_db
ACCEPTED = dt.date(2026, 11, 2)  # a Monday


@pytest.fixture
def app():
    Rule.objects.create(department="自然资源局", warn_days_left=2, red_after_days=3,
                        section_head_contact="head@nanan.gov.cn", leader_contact="leader@nanan.gov.cn,13900000000")
    return Application.objects.create(number="XK1", applicant="许文华", item="建设工程规划许可", department="自然资源局",
                                      accepted_on=ACCEPTED, deadline_days=10, handler_contact="clerk@nanan.gov.cn")


def cards():
    return sorted(Card.objects.values_list("level", flat=True))


def test_cards_escalate_warning_yellow_red_and_are_sent_once(app, caplog):
    deadline = app.deadline
    assert run_supervision(add_workdays(ACCEPTED, 3)).issued == {}  # plenty of time left
    assert cards() == []

    report = run_supervision(deadline - dt.timedelta(days=1))
    assert cards() == ["warning"]
    assert report.notified == 1
    assert mail.outbox[-1].to == ["clerk@nanan.gov.cn"]  # a warning goes to the handler only
    assert "预警" in mail.outbox[-1].subject

    overdue = add_workdays(deadline, 1)
    run_supervision(overdue)
    assert cards() == ["warning", "yellow"]
    yellow_mails = mail.outbox[-3:]  # one message per recipient
    assert {m.to[0] for m in yellow_mails} == {"clerk@nanan.gov.cn", "head@nanan.gov.cn", "leader@nanan.gov.cn"}
    assert all("黄牌" in m.subject for m in yellow_mails)
    assert "SMS to 13900000000" in caplog.text  # the logging SMS gateway

    sent = len(mail.outbox)
    run_supervision(overdue)  # running twice sends nothing again
    run_supervision(add_workdays(overdue, 1))  # red only after 3 working days
    assert len(mail.outbox) == sent and cards() == ["warning", "yellow"]

    run_supervision(add_workdays(overdue, 3))
    assert cards() == ["red", "warning", "yellow"]
    assert "红牌" in mail.outbox[-1].subject
    assert "leader@nanan.gov.cn" in {m.to[0] for m in mail.outbox[-3:]}
    run_supervision(add_workdays(overdue, 10))
    assert Card.objects.count() == 3


def test_closing_the_case_resolves_its_cards(app):
    run_supervision(add_workdays(app.deadline, 1))
    app.status = Application.Status.DONE
    app.save()
    report = run_supervision(add_workdays(app.deadline, 5))
    assert report.resolved == 1 and report.issued == {}
    assert Card.objects.get().resolved_on == app.closed_on


def test_command_is_idempotent_and_reports_in_chinese(app, capsys):
    day = add_workdays(app.deadline, 1).isoformat()
    call_command("supervise", today=day)
    first = capsys.readouterr().out
    call_command("supervise", today=day)
    second = capsys.readouterr().out
    assert "黄牌 1" in first and "新发出：无" in second
    assert Card.objects.filter(level="yellow").count() == 1


def test_the_unique_constraint_stops_a_second_card():
    from django.db import IntegrityError, transaction

    Card.objects.create(module="status", number="X", level="yellow", department="d", deadline=ACCEPTED,
                        issued_on=ACCEPTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.create(module="status", number="X", level="yellow", department="d", deadline=ACCEPTED,
                            issued_on=ACCEPTED)


def test_dashboard_lists_open_cards_and_on_time_rates(app, admin_client):
    on_time = Application.objects.create(number="XK2", applicant="李明", item="建设工程规划许可", department="自然资源局",
                                         accepted_on=ACCEPTED, deadline_days=10)
    on_time.status = Application.Status.DONE
    on_time.closed_on = ACCEPTED + dt.timedelta(days=3)
    on_time.save()
    run_supervision(add_workdays(app.deadline, 1))
    r = admin_client.get("/admin/supervision/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "电子监察" in html and "自然资源局" in html and "XK1" in html
    assert "100.0%" in html  # XK2 closed on time


def test_item_rules_override_department_rules(app):
    Rule.objects.create(item="建设工程规划许可", warn_days_left=8, red_after_days=1)
    run_supervision(add_workdays(ACCEPTED, 3))  # 7 working days left: warned under the item rule
    assert cards() == ["warning"]


@pytest.mark.parametrize("url", [
    "/admin/snippets/services_letters/letter/", "/admin/snippets/services_ratings/rating/",
    "/admin/snippets/services_supervision/rule/", "/admin/snippets/services_supervision/card/",
    "/admin/snippets/services_supervision/rule/add/", "/admin/snippets/services_letters/letter/add/",
])
def test_staff_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_dashboard_needs_admin_access(client):
    r = client.get("/admin/supervision/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]


def test_dashboard_is_for_supervisors_only(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("clerk", password="x")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert client.get("/admin/supervision/").status_code in (302, 403)
    user.user_permissions.add(Permission.objects.get(codename="view_card"))
    user = django_user_model.objects.get(pk=user.pk)
    client.force_login(user)
    assert client.get("/admin/supervision/").status_code == 200
