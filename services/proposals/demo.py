"""``govsite demo``'s 建议提案: one waiting to be assigned, one being handled, one answered and
published, one answered and not public."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from content_models.models import Department
from services.proposals import publishing
from services.proposals.models import Proposal, ProposalEvent


def load_demo(stdout: Any) -> None:
    if Proposal.objects.exists():
        return
    departments = list(Department.objects.order_by("sort_order", "slug")[:3])
    if not departments:
        return
    today = timezone.localdate()
    year = today.year
    rows = [
        ("npc", "第0001号", "关于加强农村饮用水安全保障的建议", "陈代表", None, None, ""),
        ("cppcc", "第0015号", "关于发展夜间经济的提案", "林委员", departments[0], today - dt.timedelta(days=40), ""),
        ("npc", "第0023号", "关于加快老旧小区改造的建议", "黄代表", departments[-1], today - dt.timedelta(days=80),
         "经研究，已将所提小区列入明年改造计划，预计年底前完成立项。"),
        ("cppcc", "第0031号", "关于完善社区养老服务设施的提案", "郑委员", departments[0], today - dt.timedelta(days=70),
         "感谢您的提案。我局已会同民政部门开展调研。"),
    ]
    for i, (kind, serial, title, proposer, department, assigned, reply) in enumerate(rows):
        p = Proposal.objects.create(
            kind=kind, year=year, session="市十七届人大五次会议" if kind == "npc" else "市政协十三届五次会议",
            serial=serial, title=title, proposer=proposer, content=f"{title}。具体内容……", department=department,
            assigned_on=assigned, reply=reply, result=Proposal.Result.B if reply else "",
            answered_on=assigned + dt.timedelta(days=60) if reply else None, reply_public=i == 2,
        )
        if department:
            ProposalEvent.objects.create(proposal=p, action="交办", note=f"主办单位：{department.name}", actor_name="系统")
        if reply:
            ProposalEvent.objects.create(proposal=p, action="答复", note=p.get_result_display(), actor_name="系统")
        publishing.sync(p)
    stdout.write(f"  建议提案办理：{len(rows)} 件（待交办、办理中、已答复并公开、已答复不公开）")
