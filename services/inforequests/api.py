"""Public API of disclosure requests: the departments, submit (idempotent, anti-spam), follow the
case with number + query code, download the reply."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from cms.api.errors import ServiceError, register_labels
from content_models.models import Department
from services import idempotency, throttle
from services.antispam import client_ip
from services.api_common import (
    CleanInput,
    IdempotencyHeader,
    Message,
    WriteGuard,
    add_challenge_route,
    begin_write,
)
from services.cases import code_matches
from services.inforequests import workflow
from services.inforequests.models import InfoRequest, RequestEvent

router = Router()
register_labels({
    "department": "受理机关", "applicant_type": "申请人类型", "name": "申请人姓名或名称",
    "representative": "法定代表人或联系人", "credential_type": "证件名称", "credential_no": "证件号码",
    "phone": "联系电话", "email": "电子邮箱", "address": "通信地址", "postcode": "邮政编码",
    "description": "所需政府信息描述", "form": "载体形式", "delivery": "获取方式", "no": "申请编号", "code": "查询码",
}, under="services/inforequests")
add_challenge_route(router, "inforequests")

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
ID_CARD_RE = re.compile(r"^\d{17}[\dX]$")
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
LABELS = {"credential_no": "证件号码", "representative": "法定代表人或联系人", "address": "通信地址", "email": "电子邮箱"}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_ok(number: str) -> bool:
    """A mainland resident ID number with a correct check digit (GB 11643)."""
    if not ID_CARD_RE.match(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17]


class RequestIn(WriteGuard):
    department: str = Field(..., min_length=1, max_length=64, description="受理机关（部门站点代号，见 /departments）")
    applicant_type: Literal["natural", "business", "research", "nonprofit", "legal", "other"] = Field(
        "natural", description="申请人类型：自然人或法人/其他组织的类别")
    name: str = Field(..., min_length=1, max_length=200, description="姓名（自然人）或名称（法人或其他组织）")
    representative: str = Field("", max_length=100, description="法定代表人或联系人（法人或其他组织必填）")
    credential_type: Literal["居民身份证", "护照", "港澳台居民居住证", "统一社会信用代码证", "其他"] = Field(
        "居民身份证", description="身份证件或证照名称")
    credential_no: str = Field(..., min_length=1, max_length=64, description="证件号码")
    phone: str = Field(..., min_length=1, max_length=20, description="联系电话")
    email: str = Field("", max_length=254, description="电子邮箱（可空；用于通知和电子邮件送达）")
    address: str = Field("", max_length=300, description="通信地址（邮寄送达时必填）")
    postcode: str = Field("", max_length=10, description="邮政编码")
    description: str = Field(..., min_length=5, max_length=5000, description="所需政府信息的名称、文号或特征性描述")
    form: Literal["paper", "electronic", "other"] = Field("electronic", description="载体形式：纸质/电子数据/其他")
    delivery: Literal["mail", "email", "pickup", "online"] = Field("online", description="获取方式")

    @field_validator("name", "description", "credential_no", "representative", "address", "postcode", "department")
    @classmethod
    def stripped(cls, value: str) -> str:
        return value.strip()

    @field_validator("name", "description", "credential_no")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError(_("不能为空"))
        return value

    @field_validator("email")
    @classmethod
    def email_format(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                raise ValueError(_("格式不正确")) from None
        return value

    @field_validator("phone")
    @classmethod
    def phone_format(cls, value: str) -> str:
        value = value.strip().replace(" ", "")
        if not PHONE_RE.match(value):
            raise ValueError(_("格式不正确，应为手机号或带区号的固定电话"))
        return value

    def problems(self) -> dict[str, str]:
        """Rules across fields, as {field: message}."""
        out = {}
        number = self.credential_no.upper()
        if self.credential_type == "居民身份证" and not id_card_ok(number):
            out["credential_no"] = _("居民身份证号码不正确")
        if self.credential_type == "统一社会信用代码证" and not CREDIT_CODE_RE.match(number):
            out["credential_no"] = _("统一社会信用代码应为 18 位")
        if self.applicant_type != "natural" and not self.representative:
            out["representative"] = _("法人或其他组织请填写法定代表人或联系人")
        if self.delivery == "mail" and not self.address:
            out["address"] = _("邮寄送达请填写通信地址")
        if self.delivery == "email" and not self.email:
            out["email"] = _("电子邮件送达请填写电子邮箱")
        return out


class Receipt(Schema):
    number: str = Field(..., description="申请编号")
    query_code: str = Field(..., description="查询码（请妥善保存）")
    status: str
    status_label: str
    department: str


class DepartmentOut(Schema):
    slug: str
    name: str


class EventOut(Schema):
    on: dt.date
    action: str
    label: str


class RequestOut(Schema):
    number: str
    department: str
    applicant_type: str
    status: str
    status_label: str
    submitted_on: dt.date
    received_on: dt.date | None
    deadline: dt.date | None = Field(None, description="答复期限；征求第三方意见期间为最迟期限")
    deadline_provisional: bool = Field(..., description="期限跨入尚未公布节假日安排的年份，可能变动")
    deadline_note: str
    extended_days: int
    outcome: str
    outcome_label: str
    reason_label: str
    legal_basis: str
    reply_text: str
    reply_file: bool
    answered_on: dt.date | None
    events: list[EventOut]


class LookupParams(CleanInput):
    no: str = Field(..., min_length=1, max_length=40)
    code: str = Field(..., min_length=1, max_length=20)


def deadline_note(request: InfoRequest) -> str:
    """What the deadline means now, in words (the same for the applicant and the staff)."""
    if request.status == InfoRequest.Status.SUBMITTED:
        return "等待受理机关确认收到申请，确认之日起计算答复期限"
    if request.status == InfoRequest.Status.SUPPLEMENT:
        return "等待申请人补正，收到补正之日起重新计算答复期限"
    if request.status == InfoRequest.Status.CONSULTING:
        text = "征求第三方意见期间不计算在答复期限内，所示为最迟答复期限"
    elif request.status == InfoRequest.Status.ANSWERED:
        return "已答复"
    else:
        text = ""
    if request.deadline_provisional:
        text = "（暂定：期限跨入尚未公布节假日安排的年份）" + text
    return text


def _receipt(request: InfoRequest) -> dict:
    return {"number": request.number, "query_code": request.query_code, "status": request.status,
            "status_label": request.get_status_display(), "department": request.department.name}


def _verified(http_request, no: str, code: str) -> InfoRequest:
    """The request if the code is right; wrong codes count against the number and the client in the
    shared cache like every lookup (after a few, 429 with Retry-After, even for the right code)."""
    request = throttle.find_by_code(
        http_request, "inforequests", no.strip(),
        lambda number: InfoRequest.objects.select_related("department").filter(number=number).first(),
        lambda found: code_matches(found.query_code, code))
    if request is None:
        raise ServiceError(404, _("未找到该申请，请核对申请编号和查询码"))
    return request


@router.get("/departments", response=list[DepartmentOut], summary="可受理政府信息公开申请的机关（部门）")
def departments(request):
    return list(Department.objects.order_by("sort_order", "slug").values("slug", "name"))


@router.post("/", response={200: Receipt, 201: Receipt, 400: Message, 409: Message, 429: Message},
             summary="提交政府信息公开申请")
def submit(request, payload: RequestIn, idempotency_key: str | None = IdempotencyHeader):
    data = payload.dict(exclude={"challenge_token", "challenge_answer"})
    problems = payload.problems()
    if problems:
        field, message = next(iter(problems.items()))
        raise ServiceError(400, f"{LABELS.get(field, field)}：{message}")
    department = Department.objects.filter(slug=data["department"]).first()
    if department is None:
        raise ServiceError(400, _("受理机关：请选择列表中的机关"))
    key, fp, existing = begin_write(request, "inforequests", InfoRequest, idempotency_key, data, payload)
    if existing is not None:
        return 200, _receipt(existing)
    ip = client_ip(request)

    def create() -> InfoRequest:
        row = InfoRequest.objects.create(
            department=department, applicant_type=data["applicant_type"], name=data["name"],
            representative=data["representative"], credential_type=data["credential_type"],
            credential_no=data["credential_no"].upper(), phone=data["phone"], email=data["email"],
            address=data["address"], postcode=data["postcode"], description=data["description"], form=data["form"],
            delivery=data["delivery"], idempotency_key=key, request_fingerprint=fp,
            client_ip=ip if ip != "unknown" else None,
        )
        workflow.record_submission(row)
        return row

    row, created = idempotency.create_once(InfoRequest, key, fp, create)
    return (201 if created else 200), _receipt(row)


@router.get("/lookup", response={200: RequestOut, 404: Message, 429: Message}, summary="凭申请编号和查询码查询办理情况")
def lookup(request, params: Query[LookupParams]):
    row = _verified(request, params.no, params.code)
    events = [{"on": e.on, "action": e.action, "label": e.get_action_display()}
              for e in row.events.exclude(action=RequestEvent.Action.TRANSFER)]
    return 200, {
        "number": row.number, "department": row.department.name, "applicant_type": row.get_applicant_type_display(),
        "status": row.status, "status_label": row.get_status_display(), "submitted_on": row.submitted_at.date(),
        "received_on": row.received_on, "deadline": row.deadline, "deadline_provisional": row.deadline_provisional,
        "deadline_note": deadline_note(row), "extended_days": row.extended_days, "outcome": row.outcome,
        "outcome_label": row.get_outcome_display() if row.outcome else "",
        "reason_label": row.get_reason_display() if row.reason else "", "legal_basis": row.legal_basis,
        "reply_text": row.reply_text, "reply_file": bool(row.reply_file), "answered_on": row.answered_on,
        "events": events,
    }


@router.get("/reply", response={404: Message, 429: Message}, summary="凭申请编号和查询码下载答复书")
def reply_file(request, params: Query[LookupParams]):
    row = _verified(request, params.no, params.code)
    if not row.reply_file:
        raise ServiceError(404, _("该申请没有答复书文件"))
    name = row.reply_file.name.rsplit("/", 1)[-1]
    response = FileResponse(row.reply_file.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response
