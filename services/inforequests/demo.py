"""``govsite demo``'s 依申请公开: requests in every state (waiting for confirmation, running, waiting
for a 补正, paused for a consultation, extended, transferred, answered with each outcome) and a
year of answered requests, whose annual report (the last full year) is published."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from content_models.models import Department
from services.inforequests import report as annual
from services.inforequests import workflow
from services.inforequests.models import AnnualReport, InfoRequest, RequestEvent
from services.inforequests.outcomes import REASONS, ApplicantType, Outcome
from services.inforequests.publishing import ReportNotReconciled, publish
from services.workdays import add_workdays, is_workday

A = RequestEvent.Action
WANTED = [
    "请公开本局2025年国有建设用地使用权出让情况（宗地编号、面积、成交价款）。",
    "请提供本区2024年度义务教育阶段学校招生划片范围的文件。",
    "申请公开某小区旧城改造项目的征收补偿方案及批复文件。",
    "请公开2025年本县城乡居民最低生活保障资金的发放情况。",
    "请提供某道路拓宽工程的环境影响评价审批文件。",
]
NAMES = [("natural", "许文华"), ("natural", "陈美玲"), ("business", "南安市某某建材有限公司"),
         ("legal", "福建某某律师事务所"), ("research", "某某大学公共管理学院"), ("nonprofit", "某某环保公益协会")]


def load_demo(stdout: Any) -> None:
    if InfoRequest.objects.exists():
        return
    departments = list(Department.objects.order_by("sort_order", "slug")[:4])
    if not departments:
        return
    rng = random.Random(20)
    with transaction.atomic():
        states = _current(departments, rng)
        year = timezone.localdate().year - 1
        n = _last_year(departments, rng, year)
    stdout.write(f"  依申请公开：{states} 件各状态的申请，{year} 年 {n} 件")
    try:
        doc = publish(annual.compute(year))
        stdout.write(f"  年度报告：已发布《{doc.title}》")
    except ReportNotReconciled as exc:
        stdout.write(f"  年度报告未发布：{exc}")


def _workdays_ago(n: int) -> dt.date:
    day = timezone.localdate()
    while n > 0:
        day -= dt.timedelta(days=1)
        if is_workday(day):
            n -= 1
    return day


def _new(department: Department, rng: random.Random, i: int, submitted: dt.date) -> InfoRequest:
    kind, name = NAMES[i % len(NAMES)]
    request = InfoRequest.objects.create(
        department=department, applicant_type=kind, name=name, representative="" if kind == "natural" else "王经办",
        credential_type="居民身份证" if kind == "natural" else "统一社会信用代码证",
        credential_no="11010519491231002X" if kind == "natural" else "91350583MA31234567",
        phone="13800138000", email=f"applicant{i}@example.com", description=WANTED[i % len(WANTED)],
        submitted_at=timezone.make_aware(dt.datetime.combine(submitted, dt.time(9, 30))),
    )
    workflow.record_submission(request)
    return request


def _current(departments: list[Department], rng: random.Random) -> int:
    first = departments[0]
    steps = [
        [],  # 待确认收到
        [(A.RECEIVE, 3)],  # 办理中
        [(A.RECEIVE, 6), (A.SUPPLEMENT_REQUESTED, 4)],  # 待补正
        [(A.RECEIVE, 12), (A.CONSULT_START, 5)],  # 征求第三方意见
        [(A.RECEIVE, 18), (A.EXTEND, 1)],  # 延期
        [(A.RECEIVE, 19)],  # due tomorrow or so: supervision warns
        [(A.RECEIVE, 25)],  # overdue: a yellow card on the next supervision run
        [(A.RECEIVE, 10), (A.SUPPLEMENT_REQUESTED, 8), (A.SUPPLEMENT_RECEIVED, 2)],
        [(A.RECEIVE, 4), (A.TRANSFER, 2)],
    ]
    count = 0
    for i, plan in enumerate(steps):
        submitted = _workdays_ago((plan[0][1] if plan else 1) + 1)
        request = _new(first, rng, i, submitted)
        for action, ago in plan:
            on = _workdays_ago(ago)
            step = workflow.Step(action, on, days=15 if action == A.EXTEND else 0, approver="李主任",
                                 note="请补充所需信息的具体年份和项目名称" if action == A.SUPPLEMENT_REQUESTED else "",
                                 department=departments[-1] if action == A.TRANSFER else None)
            workflow.take(request.pk, step, None)
        count += 1
    for i, outcome in enumerate(Outcome.values):  # answered, one of each outcome
        request = _new(departments[i % len(departments)], rng, i, _workdays_ago(15))
        workflow.take(request.pk, workflow.Step(A.RECEIVE, _workdays_ago(14)), None)
        reason = REASONS[outcome][0] if outcome in REASONS else ""
        workflow.take(request.pk, workflow.Step(
            A.ANSWER, _workdays_ago(2), outcome=outcome, reason=reason,
            legal_basis="" if outcome == Outcome.DISCLOSED else "《中华人民共和国政府信息公开条例》第三十六条",
            reply_text=f"经审查，您申请的信息{Outcome(outcome).label}。"), None)
        count += 1
    return count


def _last_year(departments: list[Department], rng: random.Random, year: int) -> int:
    """A year of requests: most answered within the year, a few carried into the next."""
    n = 0
    for i in range(48):
        received = dt.date(year, 1, 2) + dt.timedelta(days=rng.randrange(0, 355))
        request = _new(rng.choice(departments), rng, i, received)
        InfoRequest.objects.filter(pk=request.pk).update(applicant_type=rng.choice(ApplicantType.values))
        workflow.take(request.pk, workflow.Step(A.RECEIVE, received), None)
        answered = add_workdays(received, rng.randrange(3, 20))
        if answered.year == year and answered <= timezone.localdate():
            outcome = rng.choice(Outcome.values)
            reason = rng.choice(REASONS[outcome]) if outcome in REASONS else ""
            workflow.take(request.pk, workflow.Step(
                A.ANSWER, answered, outcome=outcome, reason=reason, legal_basis="《中华人民共和国政府信息公开条例》",
                reply_text="答复如下。"), None)
        n += 1
    AnnualReport.objects.get_or_create(year=year, department=None, defaults={
        "overview": f"{year}年，本级政府认真贯彻落实《中华人民共和国政府信息公开条例》，依法做好主动公开和依申请公开工作。",
        "problems": "依申请公开答复的规范性有待进一步提高。下一步将加强业务培训，统一答复文书格式。",
        "other_matters": "本年度未收取信息处理费。",
        "review_maintained": 1, "review_pending": 1, "direct_maintained": 1,
    })
    return n
