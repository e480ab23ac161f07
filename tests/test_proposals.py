"""人大代表建议 / 政协委员提案: assignment with a three-month deadline, the lead department's queue,
logged transfers, public replies published as documents, supervision."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings

from content_models.models import Department, DisclosureDocument
from services.proposals.models import Proposal, add_months
from services.proposals.provider import cases
from services.supervision.checks import run_supervision
from services.supervision.models import Card

pytestmark = pytest.mark.django_db
ADD = "/admin/snippets/services_proposals/proposal/add/"


def edit_url(p):
    return f"/admin/snippets/services_proposals/proposal/edit/{p.pk}/"


@pytest.fixture
def setup():
    zrzy = Department.objects.create(slug="zrzy", name="自然资源局", sort_order=1)
    jyj = Department.objects.create(slug="jyj", name="教育局", sort_order=2)
    User = get_user_model()
    root = User.objects.create_superuser("root", "root@example.com", "pw")
    clerk = User.objects.create_user("clerk", "clerk@zrzy.gov.cn", "pw")
    zrzy.refresh_from_db()
    clerk.groups.add(zrzy.editors)
    other = User.objects.create_user("other", "other@jyj.gov.cn", "pw")
    jyj.refresh_from_db()
    other.groups.add(jyj.editors)
    return zrzy, jyj, root, clerk, other


def form(**values):
    data = {"kind": "npc", "year": "2026", "session": "市十七届人大五次会议", "serial": "第0123号",
            "title": "关于加快老旧小区改造的建议", "proposer": "陈代表", "co_proposers": "", "content": "建议……",
            "department": "", "assigned_on": "", "handler_contact": "", "reply": "", "result": "", "answered_on": ""}
    data.update(values)
    return {k: v for k, v in data.items() if v is not False}


def test_three_months_from_assignment():
    assert add_months(dt.date(2026, 3, 10), 3) == dt.date(2026, 6, 10)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_assigned_to_the_lead_department_answered_and_published(client, setup):
    zrzy, jyj, root, clerk, other = setup
    client.force_login(root)
    with override_settings(GOVSITE_NOTIFIERS=["services.notify.EmailNotifier"]):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
            r = client.post(ADD, form(department=str(zrzy.pk), assigned_on="2026-03-10", co_departments=[str(jyj.pk)]))
    assert r.status_code == 302, r.content.decode()[-2000:]
    p = Proposal.objects.get()
    assert p.status == "assigned" and p.deadline == dt.date(2026, 6, 10)
    assert {m.to[0] for m in mail.outbox} == {"clerk@zrzy.gov.cn", "other@jyj.gov.cn"}  # lead and co-handler told

    client.get("/admin/snippets/services_proposals/proposal/")  # shows (and so clears) the "created" message
    # the lead department's staff work on it; the co-handler (教育局 here) sees it but may not edit it
    # (test_co_handling_departments_see_the_proposal_read_only; another department's staff see nothing)
    client.force_login(other)
    assert client.get(edit_url(p)).status_code == 404
    client.force_login(clerk)
    assert edit_url(p) in client.get("/admin/snippets/services_proposals/proposal/").content.decode()
    # a department cannot reassign it
    r = client.post(edit_url(p), form(department=str(jyj.pk), assigned_on="2026-03-10"))
    assert r.status_code == 200 and "交办单位" in r.content.decode()
    r = client.post(edit_url(p), form(department=str(zrzy.pk), assigned_on="2026-03-10", reply="经研究，答复如下……",
                                      result="b", answered_on="2026-05-20", reply_public="on"))
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "answered"
    doc = DisclosureDocument.objects.get(source_id=p.published_source_id)
    assert doc.live and doc.category == "建议提案办理" and "经研究，答复如下" in str(doc.body)
    assert "第0123号代表建议的答复" in doc.title
    # no longer public: withdrawn from the site
    client.post(edit_url(p), form(department=str(zrzy.pk), assigned_on="2026-03-10", reply="经研究，答复如下……",
                                  result="b", answered_on="2026-05-20"))
    doc.refresh_from_db()
    assert not doc.live
    actions = list(p.events.values_list("action", "actor_name"))
    assert actions == [("交办", "root"), ("答复", "clerk")]


def test_a_transfer_by_the_administrator_is_logged(client, setup):
    zrzy, jyj, root, clerk, other = setup
    client.force_login(root)
    client.post(ADD, form(department=str(zrzy.pk), assigned_on="2026-03-10"))
    p = Proposal.objects.get()
    client.post(edit_url(p), form(department=str(jyj.pk), assigned_on="2026-03-10"))
    assert list(p.events.values_list("action", "note")) == [("交办", "主办单位：自然资源局"), ("转办", "自然资源局 → 教育局")]


def test_supervision_after_three_months(setup):
    zrzy, *_ = setup
    p = Proposal.objects.create(kind="cppcc", year=2026, serial="第0042号", title="关于发展夜间经济的提案",
                                proposer="林委员", content="……", department=zrzy, assigned_on=dt.date(2026, 1, 5),
                                handler_contact="clerk@zrzy.gov.cn")
    assert cases.get(p.number).deadline == dt.date(2026, 4, 5)
    run_supervision(dt.date(2026, 4, 8))
    assert list(Card.objects.filter(module="proposals").values_list("level", "number")) == [("yellow", p.number)]


def test_co_handling_departments_see_the_proposal_read_only(client, setup):
    zrzy, jyj, root, clerk, other = setup
    third = Department.objects.create(slug="scj", name="市场监管局", sort_order=3)
    outsider = get_user_model().objects.create_user("outsider", "o@scj.gov.cn", "pw")
    third.refresh_from_db()
    outsider.groups.add(third.editors)
    p = Proposal.objects.create(kind="npc", year=2026, session="市十七届人大五次会议", serial="第0200号",
                                title="关于增设学校周边停车位的建议", proposer="陈代表", content="建议……",
                                department=zrzy, assigned_on=dt.date(2026, 10, 9))
    p.co_departments.add(jyj)
    listing = "/admin/snippets/services_proposals/proposal/"
    inspect = f"/admin/snippets/services_proposals/proposal/inspect/{p.pk}/"

    client.force_login(other)  # 教育局, the co-handler
    assert "关于增设学校周边停车位的建议" in client.get(listing).content.decode()
    page = client.get(inspect)
    assert page.status_code == 200 and "自然资源局" in page.content.decode()  # who leads, to send it their part
    assert client.get(edit_url(p)).status_code == 404  # read-only: the lead department answers
    client.post(edit_url(p), form(department=str(zrzy.pk), assigned_on="2026-10-09", reply="我局同意", result="a"))
    p.refresh_from_db()
    assert p.reply == "" and p.status == Proposal.Status.ASSIGNED

    client.force_login(clerk)  # 自然资源局, the lead: works on it
    assert client.get(edit_url(p)).status_code == 200

    client.force_login(outsider)  # neither lead nor co-handler: nothing
    assert "关于增设学校周边停车位的建议" not in client.get(listing).content.decode()
    assert client.get(inspect).status_code == 404 and client.get(edit_url(p)).status_code == 404
