"""``govsite demo``'s surveys: one open, and one closed with its published results, so a new user
sees the questionnaire, the charts and the CSV."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from content_models.models import Department
from services.surveys.models import Answer, Question, Response, Survey, TextAnswer

OPEN_TITLE = "2026 年度政务服务满意度调查"
CLOSED_TITLE = "城市公共交通出行情况调查"

QUESTIONS = [
    (Question.Kind.SINGLE, "您最常使用的出行方式是？", "公交车\n步行\n自行车或电动车\n私家车"),
    (Question.Kind.MULTIPLE, "您希望优先改进哪些方面？", "增加班次\n延长运营时间\n优化线路\n改善站台设施"),
    (Question.Kind.SCALE, "您对本市公共交通的总体满意度？", ""),
    (Question.Kind.TEXT, "其他意见和建议", ""),
]


def create_demo(stdout: Any) -> None:
    """The demo's surveys, once (a second run finds them and adds nothing)."""
    line = _create()
    if line:
        stdout.write(f"  网上调查：{line}")


def _survey(title: str, department: Department, start: dt.date, end: dt.date, description: str) -> Survey:
    survey = Survey.objects.create(title=title, department=department, start_date=start, end_date=end,
                                   description=description)
    for order, (kind, text, options) in enumerate(QUESTIONS):
        Question.objects.create(survey=survey, sort_order=order, kind=kind, text=text, options=options,
                                required=kind != Question.Kind.TEXT, scale_labels="1 很不满意 / 5 很满意")
    return survey


@transaction.atomic
def _create() -> str | None:
    if Survey.objects.filter(title__in=[OPEN_TITLE, CLOSED_TITLE]).exists():
        return None
    department = Department.objects.order_by("sort_order", "slug").first()
    if department is None:
        return None
    today = timezone.localdate()
    _survey(OPEN_TITLE, department, today - dt.timedelta(days=3), today + dt.timedelta(days=27),
            "为了解群众对政务服务的评价，现开展网上调查。每人限填一次，约需 2 分钟。")
    closed = _survey(CLOSED_TITLE, department, today - dt.timedelta(days=50), today - dt.timedelta(days=20),
                     "了解市民公共交通出行情况，为优化线路提供参考。")
    questions = list(closed.questions.all())
    rng = random.Random(7)
    for i in range(120):
        response = Response.objects.create(survey=closed, token_hash=hashlib.sha256(f"demo-{i}".encode()).hexdigest())
        answers = [Answer(response=response, question=questions[0], choice=rng.choices(range(4), [5, 2, 3, 4])[0]),
                   Answer(response=response, question=questions[2], value=rng.choices(range(1, 6), [1, 2, 4, 6, 3])[0])]
        answers += [Answer(response=response, question=questions[1], choice=c)
                    for c in sorted(rng.sample(range(4), rng.randint(1, 3)))]
        Answer.objects.bulk_create(answers)
        if i % 30 == 0:
            TextAnswer.objects.create(response=response, question=questions[3], status=TextAnswer.Status.APPROVED,
                                      department=department,
                                      text=["希望开通到高铁站的夜班车。", "站台增加遮雨棚。", "公交到站信息能更准确。",
                                            "建议增加学校周边的班次。"][i // 30])
    closed.results_published = True
    closed.results_note = "感谢市民参与。调查结果已提交交通运输部门，作为线路优化的参考。"
    closed.save()
    return "已创建 2 项调查（1 项进行中，1 项已公布结果）"
