"""依申请公开: online requests, the staff's department queues, the workflow with its log,
statutory outcomes with reply download, notifications to the applicant, supervision."""

import datetime as dt
import json
import re
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import override_settings

from content_models.models import Department
from services import workdays
from services.cases import CODE_ALPHABET
from services.inforequests import workflow
from services.inforequests.models import InfoRequest, RequestEvent
from services.inforequests.outcomes import Outcome
from services.inforequests.workflow import Step, WorkflowError
from services.models import CalendarDay, CalendarYear
from services.supervision.checks import run_supervision
from services.supervision.models import Card
from tests.helpers.loopback import smtp_server
from tests.helpers.services import build_service_pages, new_key, solve

pytestmark = pytest.mark.django_db
API = "/api/services/inforequests"
A = RequestEvent.Action


@pytest.fixture(autouse=True)
def fresh():
    cache.clear()
    workdays.forget_admin_calendar()
    yield
    cache.clear()


@pytest.fixture
def departments():
    return (Department.objects.create(slug="zrzy", name="自然资源局", sort_order=1),
            Department.objects.create(slug="jyj", name="教育局", sort_order=2))


def staff(username, department, email=""):
    user = get_user_model().objects.create_user(username, email, "pw")
    department.refresh_from_db()
    user.groups.add(department.editors)
    return user


def payload(client, **overrides):
    challenge = client.get(f"{API}/challenge").json()
    data = {
        "department": "zrzy", "applicant_type": "natural", "name": "许文华", "credential_type": "居民身份证",
        "credential_no": "11010519491231002X", "phone": "13800138000", "email": "xu@example.com",
        "description": "请公开2025年本局国有建设用地使用权出让情况（宗地编号、面积、价款）",
        "form": "electronic", "delivery": "online",
        "challenge_token": challenge["token"], "challenge_answer": solve(challenge["question"]),
    }
    data.update(overrides)
    return data


def submit(client, key=None, **overrides):
    return client.post(f"{API}/", json.dumps(payload(client, **overrides)), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key or new_key())


def test_a_citizen_submits_and_follows_the_request(client, departments):
    key = new_key()
    r = submit(client, key)
    assert r.status_code == 201, r.content
    receipt = r.json()
    assert re.fullmatch(r"YS\d{16}", receipt["number"])
    code = receipt["query_code"]
    assert len(code) >= 9 and set(code) <= set(CODE_ALPHABET)  # 31**9 > 10**13, no 0/O/1/I/L
    assert receipt["status_label"] == "待确认收到" and receipt["department"] == "自然资源局"
    again = client.post(f"{API}/", json.dumps(payload(client)), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 200 and again.json()["number"] == receipt["number"]  # a retry: the same case
    assert InfoRequest.objects.count() == 1

    look = client.get(f"{API}/lookup", {"no": receipt["number"], "code": code.lower()})  # typed in lower case
    assert look.status_code == 200
    body = look.json()
    assert body["status"] == "submitted" and body["deadline"] is None and "确认" in body["deadline_note"]
    assert "credential_no" not in body and "11010519491231002X" not in look.content.decode()
    wrong = client.get(f"{API}/lookup", {"no": receipt["number"], "code": "ABCDEFGHJK"})
    assert wrong.status_code == 404 and "未找到" in wrong.json()["message"]


def test_a_request_number_locks_after_wrong_codes_even_for_the_right_code(client, departments):
    receipt = submit(client).json()
    number, code = receipt["number"], receipt["query_code"]
    statuses = [client.get(f"{API}/lookup", {"no": number, "code": f"WRONG{i}"}).status_code for i in range(6)]
    assert statuses == [404] * 5 + [429]
    for path in ("lookup", "reply"):  # the reply file neither
        locked = client.get(f"{API}/{path}", {"no": number, "code": code})
        assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
        assert "错误次数过多" in locked.json()["message"]


@pytest.mark.parametrize("overrides,message", [
    ({"credential_no": "110105194912310021"}, "居民身份证号码不正确"),
    ({"department": "nowhere"}, "受理机关"),
    ({"applicant_type": "business", "credential_type": "统一社会信用代码证",
      "credential_no": "91350583MA31234567"}, "法定代表人或联系人"),
    ({"delivery": "mail"}, "通信地址"),
    ({"description": "     "}, "所需政府信息描述"),
    ({"phone": "12345"}, "联系电话：格式不正确"),  # its own label, though appointments call phone 手机号
])
def test_bad_requests_get_a_chinese_message_and_store_nothing(client, departments, overrides, message):
    r = submit(client, **overrides)
    assert r.status_code in (400, 422) and message in r.json()["message"], r.content
    assert InfoRequest.objects.count() == 0


def new_request(department, on=None, **fields):
    values = {"department": department, "name": "许文华", "credential_type": "居民身份证",
              "credential_no": "11010519491231002X", "phone": "13800138000", "email": "xu@example.com",
              "description": "请公开某文件"}
    values.update(fields)
    request = InfoRequest.objects.create(**values)
    workflow.record_submission(request)
    return request


def test_staff_see_and_act_on_their_own_department_only(client, departments):
    zrzy, jyj = departments
    mine, theirs = new_request(zrzy), new_request(jyj)
    clerk = staff("clerk", zrzy)
    client.force_login(clerk)
    listing = client.get("/admin/snippets/services_inforequests/inforequest/")
    assert listing.status_code == 200
    assert mine.number in listing.content.decode() and theirs.number not in listing.content.decode()
    assert client.get(f"/admin/snippets/services_inforequests/inforequest/edit/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/snippets/services_inforequests/inforequest/edit/{mine.pk}/").status_code == 200
    with pytest.raises(WorkflowError) as refused:
        workflow.take(theirs.pk, Step(A.RECEIVE, dt.date(2026, 3, 2)), clerk)
    assert refused.value.status_code == 403
    assert theirs.events.count() == 1  # only the submission: nothing was logged for the refused step
    posted = client.post(f"/admin/snippets/services_inforequests/inforequest/edit/{theirs.pk}/", {})
    assert posted.status_code == 404


def admin_form(request, **step):
    data = {f: getattr(request, f) for f in ("channel", "applicant_type", "name", "representative", "credential_type",
                                             "credential_no", "phone", "email", "address", "postcode", "description",
                                             "form", "delivery", "handler_contact")}
    data["department"] = request.department_id
    data.update(step)
    return data


def test_the_edit_form_is_the_workflow_and_logs_who_and_when(client, departments):
    zrzy, jyj = departments
    request = new_request(zrzy)
    clerk = staff("clerk", zrzy)
    clerk.first_name = "王"
    clerk.last_name = "科员"
    clerk.save()
    client.force_login(clerk)
    url = f"/admin/snippets/services_inforequests/inforequest/edit/{request.pk}/"
    r = client.post(url, admin_form(request, step="receive", step_date="2026-02-06"))
    assert r.status_code == 302, r.content.decode()[-3000:]
    request.refresh_from_db()
    assert request.status == "accepted" and request.received_on == dt.date(2026, 2, 6)
    assert request.deadline == dt.date(2026, 3, 12)  # across Spring Festival 2026
    # an extension without an approver is refused with the reason, nothing changes
    r = client.post(url, admin_form(request, step="extend", step_date="2026-03-02", step_days="10"))
    assert r.status_code == 200 and "批准人" in r.content.decode()
    request.refresh_from_db()
    assert request.extended_days == 0
    r = client.post(url, admin_form(request, step="extend", step_date="2026-03-02", step_days="20", approver="李主任"))
    assert r.status_code == 302
    request.refresh_from_db()
    assert request.deadline == dt.date(2026, 4, 10) and request.extension_approver == "李主任"
    page = client.get(url).content.decode()
    assert "延长答复期限" in page and "李主任" in page and "2026-04-10" in page
    # a transfer is logged; the request leaves this clerk's queue
    r = client.post(url, admin_form(request, step="transfer", transfer_to=str(jyj.pk), step_note="属教育局职责"))
    assert r.status_code == 302
    events = list(request.events.values_list("action", "actor_name", "note"))
    assert events[1:] == [("receive", "王 科员", ""), ("extend", "王 科员", "批准人：李主任"),
                          ("transfer", "王 科员", "自然资源局 → 教育局；属教育局职责")]
    assert client.get(url).status_code == 404


def test_the_platform_administrator_sees_all_overdue_first(client, departments):
    zrzy, jyj = departments
    late = new_request(jyj)
    workflow.take(late.pk, Step(A.RECEIVE, dt.date(2026, 1, 5)), None)
    fresh_one = new_request(zrzy)
    workflow.take(fresh_one.pk, Step(A.RECEIVE, dt.date(2026, 3, 2)), None)
    done = new_request(zrzy)
    workflow.take(done.pk, Step(A.RECEIVE, dt.date(2025, 12, 1)), None)
    workflow.take(done.pk, Step(A.ANSWER, dt.date(2025, 12, 5), outcome="disclosed", reply_text="见附件"), None)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    html = client.get("/admin/snippets/services_inforequests/inforequest/").content.decode()
    positions = [html.index(r.number) for r in (late, fresh_one, done)]
    assert positions == sorted(positions)


def answered(request, outcome, reason="", legal_basis="《中华人民共和国政府信息公开条例》第十四条", **extra):
    workflow.take(request.pk, Step(A.RECEIVE, dt.date(2026, 3, 2)), None)
    return workflow.take(request.pk, Step(A.ANSWER, dt.date(2026, 3, 10), outcome=outcome, reason=reason,
                                          legal_basis=legal_basis, reply_text="答复如下。", **extra), None)


@pytest.mark.parametrize("outcome,reason", [
    ("disclosed", ""), ("partial", ""), ("withheld", "third_party"), ("unavailable", "not_held"),
    ("not_processed", "petition"), ("other", "no_supplement"),
])
def test_each_statutory_outcome_is_recorded_with_its_reason(client, departments, outcome, reason):
    request = answered(new_request(departments[0]), outcome, reason)
    assert request.status == "answered" and request.outcome == outcome and request.reason == reason
    r = client.get(f"{API}/lookup", {"no": request.number, "code": request.query_code}).json()
    assert r["outcome_label"] == Outcome(outcome).label and r["status_label"] == "已答复"
    assert r["events"][-1]["label"] == "答复"


def test_outcome_reasons_are_enforced(departments):
    request = new_request(departments[0])
    workflow.take(request.pk, Step(A.RECEIVE, dt.date(2026, 3, 2)), None)
    for outcome, reason, message in [("withheld", "", "理由"), ("withheld", "petition", "理由"),
                                     ("disclosed", "secret", "不填写理由"), ("unavailable", "not_held", "")]:
        step = Step(A.ANSWER, dt.date(2026, 3, 3), outcome=outcome, reason=reason,
                    legal_basis="" if not message else "第三十六条", reply_text="答复")
        with pytest.raises(WorkflowError, match=message or "法律依据"):
            workflow.take(request.pk, step, None)
    assert InfoRequest.objects.get(pk=request.pk).status == "accepted"


def test_the_reply_file_downloads_with_the_query_code_only(client, departments):
    request = answered(new_request(departments[0]), "partial",
                       reply_file=ContentFile(b"%PDF-1.4 reply", name="答复书.pdf"))
    ok = client.get(f"{API}/reply", {"no": request.number, "code": request.query_code})
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == b"%PDF-1.4 reply"
    assert "attachment" in ok["Content-Disposition"] and ok["Cache-Control"] == "private, no-store"
    assert client.get(f"{API}/reply", {"no": request.number, "code": "2345678923"}).status_code == 404


def test_a_deadline_in_an_unannounced_year_is_provisional_for_staff_and_applicant(client, departments):
    # the case: received on Friday 2026-12-04, 20 working days land on 2027-01-01 (元旦),
    # counted as a working day because 2027's holidays are not known yet
    request = new_request(departments[0])
    workflow.take(request.pk, Step(A.RECEIVE, dt.date(2026, 12, 4)), None)
    r = client.get(f"{API}/lookup", {"no": request.number, "code": request.query_code}).json()
    assert r["deadline"] == "2027-01-01" and r["deadline_provisional"] and "暂定" in r["deadline_note"]
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    listing = client.get("/admin/snippets/services_inforequests/inforequest/").content.decode()
    assert request.number in listing
    page = client.get(f"/admin/snippets/services_inforequests/inforequest/edit/{request.pk}/").content.decode()
    assert "2027-01-01（暂定）" in page


def test_the_applicant_is_told_by_email_over_smtp(departments):
    request = new_request(departments[0])
    with smtp_server() as (port, inbox), override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port,
            GOVSITE_NOTIFIERS=["services.notify.EmailNotifier"]), \
            pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
        workflow.take(request.pk, Step(A.RECEIVE, dt.date(2026, 2, 6)), None)
        workflow.take(request.pk, Step(A.EXTEND, dt.date(2026, 3, 2), 20, approver="李主任"), None)
        workflow.take(request.pk, Step(A.ANSWER, dt.date(2026, 3, 20), outcome="disclosed", reply_text="见附件"), None)
    subjects = [message_from_bytes(m["data"].encode())["Subject"] for m in inbox.messages]
    assert len(inbox.messages) == 3 and all(m["to"] == ["xu@example.com"] for m in inbox.messages)
    decoded = [str(make_header(decode_header(s))) for s in subjects]
    assert decoded == ["政府信息公开申请已受理", "政府信息公开申请答复期限延长", "政府信息公开申请已答复（办结）"]


def test_new_requests_reach_the_departments_staff(client, departments):
    staff("clerk", departments[0], email="clerk@zrzy.gov.cn")
    staff("other", departments[1], email="other@jyj.gov.cn")
    with override_settings(GOVSITE_NOTIFIERS=["services.notify.EmailNotifier"]):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
            assert submit(client).status_code == 201
    assert [m.to for m in mail.outbox] == [["clerk@zrzy.gov.cn"]]
    assert "新的政府信息公开申请" in mail.outbox[0].subject


def test_supervision_cards_on_request_deadlines(departments):
    staff("clerk", departments[0], email="clerk@zrzy.gov.cn")
    request = new_request(departments[0])
    workflow.take(request.pk, Step(A.RECEIVE, dt.date(2026, 2, 6)), None)  # due 2026-03-12
    with override_settings(GOVSITE_NOTIFIERS=["services.notify.EmailNotifier"]):
        run_supervision(dt.date(2026, 3, 11))
        assert list(Card.objects.filter(module="inforequests").values_list("level", flat=True)) == ["warning"]
        run_supervision(dt.date(2026, 3, 13))
    assert sorted(Card.objects.filter(module="inforequests").values_list("level", flat=True)) == ["warning", "yellow"]
    assert "clerk@zrzy.gov.cn" in {m.to[0] for m in mail.outbox}
    # waiting for the applicant's supplement is nobody's delay: no card
    other = new_request(departments[0])
    workflow.take(other.pk, Step(A.RECEIVE, dt.date(2026, 2, 6)), None)
    workflow.take(other.pk, Step(A.SUPPLEMENT_REQUESTED, dt.date(2026, 2, 9), note="请明确宗地编号"), None)
    run_supervision(dt.date(2026, 4, 30))
    assert not Card.objects.filter(number=other.number).exists()


def test_the_static_site_has_the_request_form_with_the_departments(tmp_path, departments):
    build_service_pages(tmp_path / "site", tmp_path / "state")
    html = next((tmp_path / "site").rglob("inforequests/index.html")).read_text()
    assert '<option value="zrzy">自然资源局</option>' in html and 'name="credential_no"' in html
    assert 'name="description"' in html and 'name="delivery"' in html and "/api/services" in html


def test_entering_the_next_years_holidays_corrects_open_deadlines(client, departments):
    request = new_request(departments[0])
    workflow.take(request.pk, Step(A.RECEIVE, dt.date(2026, 12, 4)), None)
    request.refresh_from_db()
    assert request.deadline == dt.date(2027, 1, 1) and request.deadline_provisional
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
        year = CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
        CalendarDay.objects.create(calendar_year=year, date=dt.date(2027, 1, 1), kind="holiday", name="元旦")
    request.refresh_from_db()
    assert request.deadline == dt.date(2027, 1, 4) and not request.deadline_provisional  # Monday after 元旦
    r = client.get(f"{API}/lookup", {"no": request.number, "code": request.query_code}).json()
    assert r["deadline"] == "2027-01-04" and not r["deadline_provisional"]
