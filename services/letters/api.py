"""Public API of citizen letters: submit (idempotent, anti-spam), look up by number + query code,
and the public answered letters (``services.letters.public``; also on the static site, ``pages.py``)."""

import datetime as dt
import re
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from cms.api.errors import register_labels
from services import idempotency, throttle
from services.api_common import (
    CleanInput,
    IdempotencyHeader,
    Message,
    WriteGuard,
    add_challenge_route,
    begin_write,
)
from services.cases import code_matches
from services.letters import public
from services.letters.models import Letter

router = Router()
register_labels({
    "name": "姓名", "phone": "联系电话", "subject": "标题", "department": "写信对象", "text": "信件内容",
    "kind": "类别", "public": "是否公开", "no": "信件编号", "code": "查询码", "page": "页码",
}, under="services/letters")
add_challenge_route(router, "letters")

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class LetterIn(WriteGuard):
    name: str = Field(..., min_length=1, max_length=50, description="姓名")
    phone: str = Field(..., min_length=1, max_length=20, description="联系电话（手机或固定电话）")
    subject: str = Field(..., min_length=1, max_length=200, description="标题")
    department: str = Field("", max_length=100, description="写信对象（部门），可空")
    text: str = Field(..., min_length=5, max_length=5000, description="信件内容")
    kind: Literal["consult", "complaint", "suggestion"] = Field("consult", description="咨询/投诉/建议")
    public: bool = Field(False, description="是否同意公开")

    @field_validator("name", "subject", "text")
    @classmethod
    def not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(_("不能为空"))
        if "\x00" in value:
            raise ValueError(_("包含无效字符"))
        return value

    @field_validator("phone")
    @classmethod
    def phone_format(cls, value: str) -> str:
        value = value.strip().replace(" ", "")
        if not PHONE_RE.match(value):
            raise ValueError(_("格式不正确，应为手机号或带区号的固定电话"))
        return value

    @field_validator("department")
    @classmethod
    def clean_department(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError(_("包含无效字符"))
        return value.strip()


class Receipt(Schema):
    number: str = Field(..., description="信件编号")
    query_code: str = Field(..., description="查询码（请妥善保存）")
    status: str
    deadline: dt.date = Field(..., description="答复期限")
    deadline_provisional: bool = Field(False, description="期限跨入尚未公布节假日安排的年份，可能变动")


class LetterOut(Schema):
    number: str
    kind: str
    subject: str
    status: str
    status_label: str
    accepted_on: dt.date
    deadline: dt.date | None
    deadline_provisional: bool = False
    answer_department: str
    answered_on: dt.date | None
    answer: str


class PublicLetter(Schema):
    number: str
    kind: str
    subject: str
    text: str
    name: str
    accepted_on: dt.date
    answered_on: dt.date | None
    answer_department: str
    answer: str


class PublicPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[PublicLetter]


class LookupParams(CleanInput):
    no: str = Field(..., min_length=1, max_length=40)
    code: str = Field(..., min_length=1, max_length=20)


def _receipt(letter: Letter) -> dict:
    return {"number": letter.number, "query_code": letter.query_code, "status": letter.status,
            "deadline": letter.deadline, "deadline_provisional": letter.deadline_provisional}


@router.post("/", response={200: Receipt, 201: Receipt, 400: Message, 409: Message, 429: Message},
             summary="提交咨询、投诉或建议")
def submit(request, payload: LetterIn, idempotency_key: str | None = IdempotencyHeader):
    data = payload.dict(exclude={"challenge_token", "challenge_answer"})
    key, fp, existing = begin_write(request, "letters", Letter, idempotency_key, data, payload)
    if existing is not None:
        return 200, _receipt(existing)
    ip = throttle.client_ip(request)

    def create() -> Letter:
        return Letter.objects.create(
            name=data["name"], phone=data["phone"], subject=data["subject"], department=data["department"],
            text=data["text"], kind=data["kind"], wants_public=data["public"],
            idempotency_key=key, request_fingerprint=fp, client_ip=ip if ip != "unknown" else None,
        )

    letter, created = idempotency.create_once(Letter, key, fp, create)
    return (201 if created else 200), _receipt(letter)


@router.get("/lookup", response={200: LetterOut, 404: Message, 429: Message},
            summary="凭信件编号和查询码查询办理情况（查询码错误过多时暂时锁定）")
def lookup(request, params: Query[LookupParams]):
    letter = throttle.find_by_code(request, "letters", params.no.strip(),
                                   lambda number: Letter.objects.filter(number=number).first(),
                                   lambda found: code_matches(found.query_code, params.code))
    if letter is None:
        return 404, {"message": _("未找到该信件，请核对信件编号和查询码")}
    return 200, {
        "number": letter.number, "kind": letter.get_kind_display(), "subject": letter.subject,
        "status": letter.status, "status_label": letter.get_status_display(), "accepted_on": letter.accepted_on,
        "deadline": letter.deadline, "deadline_provisional": letter.deadline_provisional,
        "answer_department": letter.answer_department,
        "answered_on": letter.answered_on, "answer": letter.answer,
    }


PAGE_SIZE = 20


class ListParams(CleanInput):
    page: int = Field(1, ge=1, le=100000)


@router.get("/public", response=PublicPage, summary="公开的来信及答复")
def public_list(request, params: Query[ListParams]):
    qs = public.public_letters()
    start = (params.page - 1) * PAGE_SIZE
    items = [public.public_row(r) for r in qs.values(*public.FIELDS)[start : start + PAGE_SIZE]]
    return {"count": qs.count(), "page": params.page, "page_size": PAGE_SIZE, "items": items}


@router.get("/public/{number}", response={200: PublicLetter, 404: Message}, summary="一封公开来信及答复")
def public_detail(request, number: str):
    if "\x00" in number:
        return 404, {"message": _("未找到")}
    row = get_object_or_404(public.public_letters().values(*public.FIELDS), number=number)
    return 200, public.public_row(row)
