"""``govsite demo``'s consultations: one open (with comments, one of them public) and one closed
with its published 采纳情况 report, so a new user sees every page of the module."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from content_models.models import Department, DisclosureDocument
from services.consultations.models import Comment, Consultation

OPEN_TITLE = "关于《南安市城市绿地管理办法（征求意见稿）》公开征求意见"
CLOSED_TITLE = "关于《南安市生活垃圾分类实施方案（征求意见稿）》公开征求意见"


def _documents(department: Department) -> list[DisclosureDocument]:
    return list(DisclosureDocument.objects.filter(live=True, department=department).order_by("-published_at")[:2])


def create_demo(stdout: Any) -> None:
    """The demo's consultations, once (a second run finds them and adds nothing)."""
    line = _create()
    if line:
        stdout.write(f"  意见征集：{line}")


@transaction.atomic
def _create() -> str | None:
    if Consultation.objects.filter(title__in=[OPEN_TITLE, CLOSED_TITLE]).exists():
        return None
    department = Department.objects.order_by("sort_order", "slug").first()
    if department is None:
        return None
    docs = _documents(department) + [None, None]
    today = timezone.localdate()
    open_c = Consultation.objects.create(
        title=OPEN_TITLE, department=department, start_date=today - dt.timedelta(days=5),
        end_date=today + dt.timedelta(days=25), draft_document=docs[0], contact="0595-86000000",
        summary="为提高城市绿地管理水平，现公开征求社会各界意见。请在征集期间通过本页提交意见。",
        draft_text="第一条 为加强城市绿地管理，根据有关法律法规，结合本市实际，制定本办法。\n"
                   "第二条 本办法适用于本市城市规划区内城市绿地的规划、建设、保护和管理。")
    first = Comment.objects.create(consultation=open_c, name="许文华", contact="13800138000",
                                   text="建议在老旧小区增加口袋公园，方便老人散步。")
    first.approve()
    Comment.objects.create(consultation=open_c, name="李明", text="希望公布各片区绿地养护单位的联系电话。")

    closed = Consultation.objects.create(
        title=CLOSED_TITLE, department=department, start_date=today - dt.timedelta(days=60),
        end_date=today - dt.timedelta(days=30), draft_document=docs[1],
        summary="就生活垃圾分类实施方案公开征求意见。",
        draft_text="一、总体要求\n二、分类标准\n三、投放与收运")
    adopted = Comment.objects.create(consultation=closed, name="王建国", text="建议在小区增设有害垃圾投放点。")
    adopted.approve()
    adopted.decide(Comment.Adoption.ADOPTED)
    partly = Comment.objects.create(consultation=closed, name="陈静", text="建议延长厨余垃圾定时投放时间到晚上十点。")
    partly.approve()
    partly.decide(Comment.Adoption.PARTLY, "投放时间延长至晚上九点，兼顾收运作业安排。")
    declined = Comment.objects.create(consultation=closed, name="南安市某物业管理有限公司",
                                      text="建议取消分类督导员，由物业自行管理。")
    declined.approve()
    declined.decide(Comment.Adoption.NOT_ADOPTED, "分类督导是试点阶段的必要措施，暂予保留。")
    Comment.objects.create(consultation=closed, name="张三", text="同意增设有害垃圾投放点。").merge_into(adopted)
    Comment.objects.create(consultation=closed, name="匿名", text="广告：代办各类证件。").reject("与征集内容无关")
    closed.feedback_published = True
    closed.feedback_summary = "共收到意见 5 条，经梳理合并后有效意见 3 条，采纳 1 条、部分采纳 1 条、未采纳 1 条。"
    closed.final_policy = docs[0] if docs[1] is not None else None
    closed.save()
    return "已创建 2 项意见征集（1 项征集中，1 项已发布采纳情况）"
