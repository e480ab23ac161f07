"""Letters routed to department records: each department's staff see and act on their own
letters only; routing and transfers are logged with who and when."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from content_models.models import Department
from services.letters.models import Letter
from services.letters.provider import cases

pytestmark = pytest.mark.django_db
LIST = "/admin/snippets/services_letters/letter/"


def edit(letter):
    return f"{LIST}edit/{letter.pk}/"


def staff(name, department):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw", first_name=name)
    department.refresh_from_db()
    user.groups.add(department.editors)
    # the letters' admin works on model permissions, granted to the department's group as in the docs
    department.editors.permissions.add(*Permission.objects.filter(content_type__app_label="services_letters"))
    return user


def form(letter, **values):
    data = {"kind": letter.kind, "name": letter.name, "phone": letter.phone, "subject": letter.subject,
            "department": letter.department, "text": letter.text, "accepted_on": str(letter.accepted_on),
            "handling_department": "", "handler_contact": "", "deadline": str(letter.deadline),
            "status": letter.status, "answer": "", "answer_department": "", "publish_approved": "on"}
    data.update(values)
    return data


def test_department_staff_see_and_transfer_only_their_letters(client):
    zjj = Department.objects.create(slug="zjj", name="住建局", sort_order=1)
    jtj = Department.objects.create(slug="jtj", name="交通局", sort_order=2)
    a, b = staff("甲", zjj), staff("乙", jtj)
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    letter = Letter.objects.create(name="许文华", phone="13800138000", subject="路灯不亮", text="小区路灯坏了两周。")

    client.force_login(a)
    assert client.get(edit(letter)).status_code == 404  # not routed yet: the administrators' queue
    client.force_login(root)
    assert client.post(edit(letter), form(letter, handling_department=str(zjj.pk))).status_code == 302
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ROUTED and letter.routed_department == "住建局"
    assert cases.get(letter.number).department == "住建局"
    client.get(LIST)  # shows (and clears) the saved message

    client.force_login(b)
    assert edit(letter) not in client.get(LIST).content.decode()
    assert client.get(edit(letter)).status_code == 404
    assert client.post(edit(letter), form(letter, answer="与我局无关")).status_code == 404
    client.force_login(a)
    assert edit(letter) in client.get(LIST).content.decode()
    r = client.post(edit(letter), form(letter, handling_department=str(jtj.pk)))  # 转办
    assert r.status_code == 302, r.content.decode()[-1500:]
    letter.refresh_from_db()
    assert letter.routed_department == "交通局" and letter.answer == ""
    lines = letter.routing_log.strip().splitlines()
    assert lines[0].endswith("root 分流：— → 住建局") and lines[1].endswith("甲 转办：住建局 → 交通局")
    assert client.get(edit(letter)).status_code == 404
    client.force_login(b)
    assert client.get(edit(letter)).status_code == 200
