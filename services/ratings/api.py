"""Public API of 好差评: rate a closed case (once), appeal the answer to a bad rating, statistics."""

from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from cms.api.errors import ServiceError, register_labels
from services import antispam, idempotency, throttle
from services.api_common import CleanInput, IdempotencyHeader, Message, WriteGuard, add_challenge_route
from services.cases import providers, rateable_modules
from services.ratings import workflow
from services.ratings.models import Rating

router = Router()
register_labels({"module": "业务类型", "number": "编号", "query_code": "查询码", "level": "评价等级",
                 "comment": "评价内容", "by": "统计维度"}, under="services/ratings")
register_labels({"comment": "申诉理由"}, under="services/ratings/appeal")
add_challenge_route(router, "ratings")


class CaseRef(CleanInput):
    """A case to rate: the module whose case it is (any module with ratable cases, services.cases),
    the case number and its query code."""

    module: str = Field(..., min_length=1, max_length=40, description="业务类型：可评价的服务模块",
                        json_schema_extra=lambda schema: schema.update(enum=rateable_modules()))
    number: str = Field(..., min_length=1, max_length=40)
    query_code: str = Field(..., min_length=1, max_length=20)

    @field_validator("module")
    @classmethod
    def rateable(cls, value: str) -> str:
        modules = rateable_modules()
        if value not in modules:
            raise ValueError(_("取值无效，可选：%(v)s") % {"v": "、".join(modules)})
        return value


class RatingIn(CaseRef, WriteGuard):
    level: int = Field(..., ge=1, le=5, description="5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意")
    comment: str = Field("", max_length=2000)


class AppealIn(CaseRef, WriteGuard):
    comment: str = Field(..., min_length=1, max_length=2000, description="申诉理由")


class RatingOut(Schema):
    module: str
    number: str
    level: int
    level_label: str
    handling: str
    handling_label: str
    reply_deadline: str | None
    reply: str


class StatRow(Schema):
    name: str
    total: int
    defaults: int
    levels: dict[str, int]
    satisfaction_rate: float | None


def _out(r: Rating) -> dict:
    return {"module": r.module, "number": r.number, "level": r.level, "level_label": r.get_level_display(),
            "handling": r.handling, "handling_label": r.get_handling_display(),
            "reply_deadline": r.reply_deadline.isoformat() if r.reply_deadline else None, "reply": r.reply}


def _verified_case(request, module: str, number: str, code: str):
    """The case, counted by the same lookup throttle as the module's own lookup (services.throttle)."""
    provider = providers().get(module)
    case = throttle.find_by_code(request, module, number.strip(),
                                 lambda key: provider.verify(key, code) if provider else None, lambda found: True)
    if case is None:
        raise ServiceError(404, _("未找到该事项，请核对编号和查询码"))
    return case


@router.post("/", response={200: RatingOut, 201: RatingOut, 400: Message, 404: Message, 409: Message,
                                   429: Message}, summary="评价（每件一次）")
def submit_rating(request, payload: RatingIn, idempotency_key: str | None = IdempotencyHeader):
    key = idempotency.clean_key(idempotency_key)
    data = payload.dict(exclude={"challenge_token", "challenge_answer"})
    fp = idempotency.fingerprint(data)
    existing = idempotency.find_existing(Rating, key, fp)
    if existing is not None:
        return 200, _out(existing)
    antispam.guard_write(request, "ratings", payload.challenge_token, payload.challenge_answer, use=key)
    case = _verified_case(request, payload.module, payload.number, payload.query_code)
    rating, created = workflow.rate(case, payload.level, payload.comment.strip(), key, fp)
    return (201 if created else 200), _out(rating)


@router.post("/appeal", response={200: RatingOut, 400: Message, 404: Message, 409: Message, 429: Message},
             summary="对差评整改回复提出申诉")
def submit_appeal(request, payload: AppealIn):
    antispam.guard_write(request, "ratings", payload.challenge_token, payload.challenge_answer)
    case = _verified_case(request, payload.module, payload.number, payload.query_code)
    rating = Rating.objects.filter(module=case.module, number=case.number).first()
    if rating is None:
        raise ServiceError(404, _("该事项尚未评价"))
    return 200, _out(workflow.appeal(rating, payload.comment.strip()))


class LookupParams(CaseRef):
    pass


@router.get("/rating", response={200: RatingOut, 404: Message, 429: Message}, summary="查询评价及差评整改回复")
def get_rating(request, params: Query[LookupParams]):
    case = _verified_case(request, params.module, params.number, params.query_code)
    rating = Rating.objects.filter(module=case.module, number=case.number).first()
    if rating is None:
        return 404, {"message": _("该事项尚未评价")}
    return 200, _out(rating)


class StatsParams(CleanInput):
    by: Literal["department", "item"] = "department"


@router.get("/stats", response=list[StatRow], summary="好差评统计（按部门或事项）")
def stats(request, params: Query[StatsParams]):
    return workflow.statistics(params.by)
