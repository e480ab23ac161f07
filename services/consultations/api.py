"""Public API of 民意征集: the consultations, a comment while one is open (idempotent, anti-spam),
the approved comments and the published 采纳情况 report (``services.consultations.public``; the
same data is on the static site, ``pages.py``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import field_validator

from cms.api.errors import ServiceError, register_labels
from services import antispam, idempotency
from services.api_common import IdempotencyHeader, Message, WriteGuard, add_challenge_route
from services.consultations import public
from services.consultations.models import Comment, Consultation, State

router = Router()
register_labels({"contact": "联系方式", "opinion": "意见内容"}, under="services/consultations")
add_challenge_route(router, "consultations")


class CommentIn(WriteGuard):
    name: str = Field(..., min_length=1, max_length=100, description="姓名或单位（公开时脱敏）")
    contact: str = Field("", max_length=100, description="联系电话或电子邮箱（不公开，可空）")
    opinion: str = Field(..., min_length=5, max_length=5000, description="意见内容")

    @field_validator("name", "opinion", "contact")
    @classmethod
    def stripped(cls, value: str) -> str:
        return value.strip()

    @field_validator("name", "opinion")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError(_("不能为空"))
        return value


class CommentReceipt(Schema):
    number: str = Field(..., description="意见编号")
    status: str = Field(..., description="审核状态")
    message: str


class Link(Schema):
    title: str
    url: str


class PublicComment(Schema):
    number: str
    name: str = Field(..., description="姓名（已脱敏）")
    text: str
    date: dt.date
    merged: int = Field(..., description="合并到本条的重复意见数")
    adoption: str | None = None
    adoption_label: str | None = None
    adoption_reason: str | None = None


class ConsultationOut(Schema):
    number: str
    title: str
    department: str
    summary: str
    start_date: dt.date
    end_date: dt.date
    state: str = Field(..., description="upcoming 未开始 / open 征集中 / closed 已结束 / reported 已反馈")
    state_label: str
    contact: str
    draft_document: Link | None
    draft_file: Link | None
    draft_text: str
    url: str = Field(..., description="静态网站上的页面")
    feedback_url: str | None
    final_policy: Link | None
    feedback_date: dt.date | None


class ConsultationDetail(ConsultationOut):
    comments: list[PublicComment]


class Counts(Schema):
    received: int = Field(..., description="收到意见")
    approved: int = Field(..., description="有效意见")
    rejected: int = Field(..., description="不予采用（无效）")
    merged: int = Field(..., description="重复意见（已合并）")
    adopted: int = Field(..., description="采纳")
    partly: int = Field(..., description="部分采纳")
    not_adopted: int = Field(..., description="未采纳")


class RejectedReason(Schema):
    reason: str
    count: int


class FeedbackOut(Schema):
    consultation: ConsultationOut
    counts: Counts
    summary: str
    rejected_reasons: list[RejectedReason]
    comments: list[PublicComment]


def _get(number: str) -> Consultation:
    found = None if "\x00" in number else (
        Consultation.objects.select_related("department", "draft_document__department", "draft_file",
                                            "final_policy__department").filter(number=number).first())
    if found is None:
        raise ServiceError(404, _("未找到该意见征集"))
    return found


@router.get("/", response=list[ConsultationOut], summary="意见征集列表（征集中、未开始、已结束）")
def consultations(request):
    today = timezone.localdate()
    return [public.consultation_row(c, today) for c in public.visible()]


@router.get("/{number}", response={200: ConsultationDetail, 404: Message}, summary="一项意见征集及公开的意见")
def consultation(request, number: str):
    c = _get(number)
    row = public.consultation_row(c, timezone.localdate())
    return 200, {**row, "comments": public.public_comments(c.pk, decisions=row["state"] == State.REPORTED)}


@router.get("/{number}/feedback", response={200: FeedbackOut, 404: Message}, summary="意见采纳情况反馈")
def feedback(request, number: str):
    c = _get(number)
    if c.state() != State.REPORTED:
        raise ServiceError(404, _("该意见征集尚未发布采纳情况"))
    return 200, {"consultation": public.consultation_row(c, timezone.localdate()), **public.feedback_report(c)}


@router.post("/{number}/comments", response={200: CommentReceipt, 201: CommentReceipt, 400: Message, 404: Message,
                                             409: Message, 429: Message},
             summary="提交意见（征集期间）")
def comment(request, number: str, payload: CommentIn, idempotency_key: str | None = IdempotencyHeader):
    c = _get(number)
    data = {"consultation": c.number, **payload.dict(exclude={"challenge_token", "challenge_answer"})}
    key = idempotency.clean_key(idempotency_key)
    fp = idempotency.fingerprint(data)
    existing = idempotency.find_existing(Comment, key, fp)
    if existing is not None:  # a retry of a comment already received (even after the end)
        return 200, _receipt(existing)
    state = c.state()
    if state == State.UPCOMING:
        raise ServiceError(409, _("意见征集尚未开始（%(date)s 开始）") % {"date": c.start_date})
    if state != State.OPEN:
        raise ServiceError(409, _("意见征集已于 %(date)s 截止，不再接收意见") % {"date": c.end_date})
    antispam.guard_write(request, "consultations", payload.challenge_token, payload.challenge_answer, use=key)
    ip = antispam.client_ip(request)

    def create() -> Comment:
        return Comment.objects.create(
            consultation=c, name=data["name"], contact=data["contact"], text=data["opinion"],
            idempotency_key=key, request_fingerprint=fp, client_ip=ip if ip != "unknown" else None)

    row, created = idempotency.create_once(Comment, key, fp, create)
    return (201 if created else 200), _receipt(row)


def _receipt(row: Comment) -> dict:
    return {"number": row.number, "status": str(Comment.Status(row.status).label),
            "message": _("意见已收到，审核通过后在网站公开（姓名脱敏）。感谢您的参与！")}
