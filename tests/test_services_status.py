"""办件查询: staff record applications; the public looks one up and browses a masked list."""

import datetime as dt

import pytest

from services.status.models import Application
from services.workdays import add_workdays

pytestmark = pytest.mark.django_db


def make(number="XK2026001", applicant="许文华", **kw):
    defaults = dict(item="建设工程规划许可", department="自然资源局", accepted_on=dt.date(2026, 9, 28), deadline_days=20)
    defaults.update(kw)
    return Application.objects.create(number=number, applicant=applicant, **defaults)


def test_deadline_is_counted_in_chinese_working_days():
    app = make(accepted_on=dt.date(2026, 9, 30), deadline_days=3)
    assert app.deadline == add_workdays(dt.date(2026, 9, 30), 3)
    assert app.deadline > dt.date(2026, 10, 7)  # not during the National Day holiday


def test_lookup_needs_number_and_query_code(client):
    app = make(status=Application.Status.DONE, result="准予许可")
    r = client.get("/api/services/status/lookup", {"no": app.number, "code": app.query_code})
    assert r.status_code == 200
    body = r.json()
    assert body["status_label"] == "已办结" and body["result"] == "准予许可"
    assert body["applicant"] == "许文华" and "query_code" not in body
    assert body["closed_on"] is not None
    wrong = client.get("/api/services/status/lookup", {"no": app.number, "code": "000000" if app.query_code != "000000" else "1"})
    missing = client.get("/api/services/status/lookup", {"no": "NOPE", "code": app.query_code})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json() == missing.json()  # does not tell whether the number exists
    assert "办件编号" in wrong.json()["message"]


def test_lookup_without_code_names_the_field_in_chinese(client):
    r = client.get("/api/services/status/lookup", {"no": "X"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == "查询码：不能为空"


def test_public_list_masks_personal_names(client):
    make("A1", "许文华")
    make("A2", "李明")
    make("A3", "福建某某建材有限公司")
    make("A4", "王五", is_public=False)
    r = client.get("/api/services/status/applications")
    assert r.status_code == 200
    body = r.json()
    names = {i["number"]: i["applicant"] for i in body["items"]}
    assert names == {"A1": "许*华", "A2": "李*", "A3": "福建某某建材有限公司"}
    assert body["count"] == 3
    assert "query_code" not in body["items"][0]


def test_staff_can_open_the_admin_list(admin_client):
    make()
    r = admin_client.get("/admin/snippets/services_status/application/")
    assert r.status_code == 200
    assert "XK2026001" in r.content.decode()


@pytest.mark.parametrize("params", [{"no": "X\x00", "code": "1"}, {"no": "X", "code": "\x00"}])
def test_nul_characters_are_a_field_error_not_a_server_error(client, params):
    r = client.get("/api/services/status/lookup", params)
    assert r.status_code == 400 and "包含无效字符" in r.json()["message"]  # cms.api.errors, for all of /api/
