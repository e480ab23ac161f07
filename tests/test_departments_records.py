"""The status module and deadline supervision route to department records, like letters, requests
and proposals: older free-text names are mapped by the migration (the rest reported and kept),
each department's staff see and act on their own queue, the administrators on all with the
overdue first, and supervision cards reach the case's department's handler, section head and
unit leader."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from content_models.models import Department
from services.departments import DepartmentNames
from services.status.models import Application
from services.supervision.checks import run_supervision
from services.supervision.models import Card, Rule
from services.workdays import add_workdays

pytestmark = pytest.mark.django_db
APPS = "/admin/snippets/services_status/application/"
CARDS = "/admin/snippets/services_supervision/card/"
ACCEPTED = dt.date(2026, 11, 2)  # a Monday


def staff(name, department):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw", first_name=name)
    department.refresh_from_db()
    user.groups.add(department.editors)  # no model permissions: being the department's staff is enough
    return user


def edit(url, row):
    return f"{url}edit/{row.pk}/"


@pytest.fixture
def departments():
    return (Department.objects.create(slug="zrzy", name="南安市自然资源局", sort_order=1),
            Department.objects.create(slug="jyj", name="南安市教育局", sort_order=2),
            Department.objects.create(slug="gaj", name="公安局", sort_order=3))


def test_names_match_one_department_or_none(departments):
    zrzy, jyj, gaj = departments
    names = DepartmentNames(Department.objects.all())
    assert names.match("南安市自然资源局") == zrzy.pk
    assert names.match(" 自然资源局 ") == zrzy.pk  # the county's name left out
    assert names.match("JYJ") == jyj.pk  # the site code
    assert names.match("南安市公安局") == gaj.pk
    assert names.match("局") is None  # ends three names: ambiguous, never a guess
    assert names.match("财政局") is None and names.match("") is None


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor._create_project_state(with_applied_migrations=True).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_names_and_reports_what_it_cannot(capsys):
    old = _migrate([("services_status", "0002_item_from_catalogue"), ("services_supervision", "0001_initial")])
    Department = old.get_model("content_models", "Department")
    zrzy = Department.objects.create(slug="zrzy", name="南安市自然资源局", sort_order=1)
    OldApplication = old.get_model("services_status", "Application")
    for number, name in (("A1", "自然资源局"), ("A2", "南安市自然资源局"), ("A3", "财政局"), ("A4", "财政局")):
        OldApplication.objects.create(number=number, query_code="ABCDEFGHJK", applicant="许文华", item="许可",
                                      department=name, accepted_on=ACCEPTED, deadline_days=20, deadline=ACCEPTED)
    old.get_model("services_supervision", "Rule").objects.create(department="自然资源局", leader_contact="l@x.cn")
    old.get_model("services_supervision", "Rule").objects.create(department="财政局", item="拨款")
    old.get_model("services_supervision", "Card").objects.create(
        module="status", number="A3", level="yellow", department="财政局", deadline=ACCEPTED, issued_on=ACCEPTED)

    _migrate([("services_status", "0003_departments_as_records"),
              ("services_supervision", "0002_departments_as_records")])
    out = capsys.readouterr().out

    rows = dict(Application.objects.values_list("number", "handling_department_id"))
    assert rows == {"A1": zrzy.pk, "A2": zrzy.pk, "A3": None, "A4": None}
    # nothing typed before is lost: the names stay as they were
    assert set(Application.objects.values_list("department", flat=True)) == {"自然资源局", "南安市自然资源局", "财政局"}
    assert Rule.objects.get(item="").unit_id == zrzy.pk and Rule.objects.get(item="拨款").unit_id is None
    assert Card.objects.get().unit_id is None and Card.objects.get().department == "财政局"
    assert "办件：2 条已对应到部门站点" in out
    assert "办件：2 条未能对应" in out and "“财政局”（2 条）" in out
    assert "监察规则：1 条未能对应" in out and "监察牌：1 条未能对应" in out


def test_a_typed_or_catalogue_name_is_routed_and_the_public_answer_is_the_name(client, departments):
    zrzy = departments[0]
    typed = Application.objects.create(number="XK1", applicant="许文华", item="规划许可", department="自然资源局",
                                       accepted_on=ACCEPTED)
    assert typed.handling_department == zrzy and typed.department == "自然资源局"
    chosen = Application.objects.create(number="XK2", applicant="李明", item="规划许可", handling_department=zrzy,
                                        accepted_on=ACCEPTED)
    assert chosen.department == "南安市自然资源局"
    unknown = Application.objects.create(number="XK3", applicant="王芳", item="规划许可", department="财政局",
                                         accepted_on=ACCEPTED)
    assert unknown.handling_department is None and unknown.department == "财政局"
    r = client.get("/api/services/status/lookup", {"no": "XK2", "code": chosen.query_code})
    assert r.status_code == 200 and r.json()["department"] == "南安市自然资源局"


def test_department_staff_see_and_act_on_their_own_applications_only(client, departments):
    zrzy, jyj, _gaj = departments
    a, b = staff("甲", zrzy), staff("乙", jyj)
    mine = Application.objects.create(number="XK1", applicant="许文华", item="规划许可", handling_department=zrzy,
                                      accepted_on=ACCEPTED)
    theirs = Application.objects.create(number="JY1", applicant="李明", item="办学许可", handling_department=jyj,
                                        accepted_on=ACCEPTED)
    unrouted = Application.objects.create(number="CZ1", applicant="王芳", item="拨款", department="财政局",
                                          accepted_on=ACCEPTED)

    client.force_login(a)
    listing = client.get(APPS).content.decode()
    assert edit(APPS, mine) in listing and edit(APPS, theirs) not in listing and edit(APPS, unrouted) not in listing
    assert client.get(edit(APPS, theirs)).status_code == 404
    assert client.get(edit(APPS, unrouted)).status_code == 404
    data = {"number": "JY1", "query_code": theirs.query_code, "applicant": "李明", "item_code": "", "item": "办学许可",
            "handling_department": str(jyj.pk), "department": "", "accepted_on": "2026-11-02", "deadline_days": "20",
            "status": "done", "result": "准予许可", "handler_contact": "", "is_public": "on"}
    assert client.post(edit(APPS, theirs), data).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Application.Status.ACCEPTED
    # acting on their own: the form offers only their department
    page = client.get(edit(APPS, mine)).content.decode()
    assert "南安市自然资源局" in page and "南安市教育局" not in page
    r = client.post(edit(APPS, mine), {**data, "number": "XK1", "query_code": mine.query_code, "item": "规划许可",
                                       "handling_department": str(zrzy.pk)})
    assert r.status_code == 302, r.content.decode()[-2000:]
    mine.refresh_from_db()
    assert mine.status == Application.Status.DONE and mine.result == "准予许可"

    client.force_login(b)
    assert client.get(edit(APPS, mine)).status_code == 404
    assert client.get(edit(APPS, theirs)).status_code == 200


def test_administrators_see_every_queue_with_the_overdue_first(client, departments):
    zrzy, jyj, _gaj = departments
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    late = Application.objects.create(number="LATE", applicant="甲", item="许可", handling_department=jyj,
                                      accepted_on=dt.date(2026, 6, 1))
    soon = Application.objects.create(number="SOON", applicant="乙", item="许可", handling_department=zrzy,
                                      accepted_on=dt.date(2026, 11, 20))
    done = Application.objects.create(number="DONE", applicant="丙", item="许可", handling_department=zrzy,
                                      accepted_on=dt.date(2026, 1, 5), status=Application.Status.DONE)
    unrouted = Application.objects.create(number="CZ1", applicant="丁", item="拨款", department="财政局",
                                          accepted_on=dt.date(2026, 10, 1))
    client.force_login(root)
    listing = client.get(APPS).content.decode()
    positions = [listing.index(edit(APPS, row)) for row in (late, unrouted, soon, done)]
    assert positions == sorted(positions)  # open by deadline (overdue first), closed last


def test_cards_go_to_the_cases_department_handler_section_head_and_leader(client, departments):
    zrzy, jyj, _gaj = departments
    Rule.objects.create(unit=zrzy, section_head_contact="head@zrzy.gov.cn", leader_contact="leader@zrzy.gov.cn")
    Rule.objects.create(unit=jyj, section_head_contact="head@jyj.gov.cn", leader_contact="leader@jyj.gov.cn")
    # the typed name differs from the record's; the record decides whose rule applies
    app = Application.objects.create(number="XK1", applicant="许文华", item="规划许可", department="自然资源局",
                                     accepted_on=ACCEPTED, deadline_days=10, handler_contact="clerk@zrzy.gov.cn")
    other = Application.objects.create(number="JY1", applicant="李明", item="办学许可", handling_department=jyj,
                                       accepted_on=ACCEPTED, deadline_days=30)
    assert Rule.objects.get(unit=zrzy).department == "南安市自然资源局"

    run_supervision(add_workdays(app.deadline, 1))
    card = Card.objects.get(number="XK1", level="yellow")
    assert card.unit == zrzy
    assert {m.to[0] for m in mail.outbox} == {"clerk@zrzy.gov.cn", "head@zrzy.gov.cn", "leader@zrzy.gov.cn"}
    assert not Card.objects.filter(number=other.number).exists()

    # the department's staff see their card (read-only); the other department's staff do not
    client.force_login(staff("甲", zrzy))
    listing = client.get(CARDS)
    assert listing.status_code == 200 and "规划许可" in listing.content.decode()
    client.force_login(staff("乙", jyj))
    listing = client.get(CARDS)
    assert listing.status_code == 200 and "规划许可" not in listing.content.decode()
    assert client.get(edit(CARDS, card)).status_code == 404
