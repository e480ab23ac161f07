"""Public API of 网上调查: the surveys and their questions, an answer token, the optional phone or
e-mail code, one answer per person, and the published results (``results.py``; the same data is on
the static site, ``pages.py``)."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import field_validator

from cms.api.errors import ServiceError, register_labels
from services import antispam
from services.api_common import CleanInput, Message, WriteGuard, add_challenge_route
from services.notify import Notification, NotifyError, notify
from services.surveys import public, results, tokens
from services.surveys.models import Answer, Question, Response, State, Survey, TextAnswer

router = Router()
register_labels({"answers": "答卷", "question": "题目", "choices": "选项", "token": "答卷标识",
                 "code": "验证码", "value": "分值", "choice": "选项"}, under="services/surveys")
add_challenge_route(router, "surveys")

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_TEXT = 2000


class QuestionOut(Schema):
    id: int
    number: int
    kind: str = Field(..., description="single 单选 / multiple 多选 / scale 量表 / text 文字")
    kind_label: str
    text: str
    required: bool
    options: list[str] | None = None
    scale_max: int | None = None
    scale_labels: str | None = None


class SurveyOut(Schema):
    number: str
    title: str
    department: str
    description: str
    start_date: dt.date
    end_date: dt.date
    state: str = Field(..., description="upcoming 未开始 / open 进行中 / closed 已结束 / published 已公布结果")
    state_label: str
    verification: str = Field(..., description="空：不验证；phone：短信验证码；email：邮件验证码")
    url: str
    results_url: str | None
    csv_url: str | None
    results_date: dt.date | None
    results_note: str
    questions: list[QuestionOut]


class TokenOut(Schema):
    token: str = Field(..., description="本次作答的答卷标识：每个标识只能提交一份答卷")


class VerifyIn(WriteGuard):
    contact: str = Field(..., min_length=3, max_length=100, description="手机号或电子邮箱（按调查要求）")


class AnswerIn(CleanInput):
    question: int = Field(..., ge=1, le=2**31 - 1)
    choice: int | None = Field(None, ge=0, le=1000, description="单选：选项序号（从 0 开始）")
    choices: list[int] | None = Field(None, max_length=50, description="多选：选项序号")
    value: int | None = Field(None, ge=0, le=1000, description="量表：分值")
    text: str | None = Field(None, max_length=MAX_TEXT, description="文字回答")


class ResponseIn(WriteGuard):
    token: str = Field(..., min_length=1, max_length=300)
    answers: list[AnswerIn] = Field(..., max_length=200)
    contact: str = Field("", max_length=100, description="要求验证时：手机号或电子邮箱")
    code: str = Field("", max_length=10, description="要求验证时：收到的验证码")

    @field_validator("contact", "code")
    @classmethod
    def stripped(cls, value: str) -> str:
        return value.strip()


class OptionOut(Schema):
    label: str
    count: int
    percent: float


class QuestionResult(Schema):
    number: int
    id: int
    kind: str
    kind_label: str
    text: str
    respondents: int | None = None
    options: list[OptionOut] | None = None
    average: float | None = None
    scale_labels: str | None = None
    received: int | None = None
    texts: list[str] | None = None


class ResultsOut(Schema):
    survey: SurveyOut
    total: int = Field(..., description="有效答卷数")
    questions: list[QuestionResult]


def _get(number: str) -> Survey:
    found = None if "\x00" in number else (
        Survey.objects.select_related("department").prefetch_related("questions").filter(number=number).first())
    if found is None:
        raise ServiceError(404, _("未找到该调查"))
    return found


def _require_open(survey: Survey) -> None:
    state = survey.state()
    if state == State.UPCOMING:
        raise ServiceError(409, _("调查尚未开始（%(date)s 开始）") % {"date": survey.start_date})
    if state != State.OPEN:
        raise ServiceError(409, _("调查已于 %(date)s 截止，不再接收答卷") % {"date": survey.end_date})


@router.get("/", response=list[SurveyOut], summary="网上调查列表（进行中、未开始、已结束）")
def surveys(request):
    today = timezone.localdate()
    return [public.survey_row(s, today) for s in public.visible()]


@router.get("/{number}", response={200: SurveyOut, 404: Message}, summary="一项调查及其题目")
def survey(request, number: str):
    return 200, public.survey_row(_get(number), timezone.localdate())


@router.get("/{number}/results", response={200: ResultsOut, 404: Message}, summary="已公布的调查结果")
def survey_results(request, number: str):
    s = _get(number)
    if s.state() != State.PUBLISHED:
        raise ServiceError(404, _("该调查尚未公布结果"))
    return 200, {"survey": public.survey_row(s, timezone.localdate()), **results.compute(s)}


@router.get("/{number}/token", response={200: TokenOut, 404: Message, 409: Message, 429: Message},
            summary="领取答卷标识（每份答卷一个）")
def token(request, number: str):
    s = _get(number)
    _require_open(s)
    antispam.check_rate_limit(request, "surveys-token")
    return 200, {"token": tokens.issue(s.number)}


def _check_contact(survey: Survey, contact: str) -> str:
    contact = contact.strip().replace(" ", "")
    if survey.verification == Survey.Verification.PHONE and not PHONE_RE.match(contact):
        raise ServiceError(400, _("联系方式：请填写 11 位手机号"))
    if survey.verification == Survey.Verification.EMAIL and not EMAIL_RE.match(contact):
        raise ServiceError(400, _("联系方式：请填写有效的电子邮箱"))
    return contact


@router.post("/{number}/verify", response={200: Message, 400: Message, 404: Message, 409: Message, 429: Message,
                                           503: Message},
             summary="获取验证码（调查要求手机或邮箱验证时）")
def verify(request, number: str, payload: VerifyIn):
    s = _get(number)
    _require_open(s)
    if not s.verification:
        raise ServiceError(400, _("本调查无需验证"))
    contact = _check_contact(s, payload.contact)
    if Response.objects.filter(survey=s, contact_hash=tokens.contact_hash(s.number, contact)).exists():
        raise ServiceError(409, _("该联系方式已参加过本调查，每人只能提交一次"))
    antispam.guard_write(request, "surveys-verify", payload.challenge_token, payload.challenge_answer)
    code = tokens.new_code(s.number, contact)
    text = _("您参加“%(title)s”的验证码是 %(code)s，10 分钟内有效。") % {"title": s.title[:40], "code": code}
    try:
        sent = notify(Notification(subject=_("网上调查验证码"), body=text, recipients=(contact,)))
    except NotifyError:
        sent = 0
    if not sent:
        raise ServiceError(503, _("验证码发送失败，请稍后重试"))
    return 200, {"message": _("验证码已发送，10 分钟内有效")}


def _answer_rows(survey: Survey, answers: list[AnswerIn]) -> tuple[list[tuple[int, int | None, int | None]],
                                                                   list[tuple[int, str]]]:
    """Check the answers against the questions; return the choice/scale rows and the texts."""
    questions = {q.pk: (n, q) for n, q in enumerate(survey.questions.all(), 1)}
    given: dict[int, AnswerIn] = {}
    for answer in answers:
        if answer.question not in questions:
            raise ServiceError(400, _("答卷中有不属于本调查的题目"))
        if answer.question in given:
            raise ServiceError(400, _("同一题目只能回答一次"))
        given[answer.question] = answer
    rows: list[tuple[int, int | None, int | None]] = []
    texts: list[tuple[int, str]] = []
    for pk, (n, q) in questions.items():
        a = given.get(pk)
        label = _("第 %(n)d 题") % {"n": n}
        if q.kind == Question.Kind.SINGLE:
            picked = [] if a is None or a.choice is None else [a.choice]
        elif q.kind == Question.Kind.MULTIPLE:
            picked = [] if a is None or not a.choices else list(a.choices)
            if len(set(picked)) != len(picked):
                raise ServiceError(400, _("%(q)s：选项重复") % {"q": label})
        elif q.kind == Question.Kind.SCALE:
            picked = [] if a is None or a.value is None else [a.value]
        else:
            text = "" if a is None or a.text is None else a.text.strip()
            picked = [text] if text else []
        if not picked:
            if q.required:
                raise ServiceError(400, _("%(q)s为必答题") % {"q": label})
            continue
        if q.kind == Question.Kind.TEXT:
            texts.append((pk, picked[0]))
        elif q.kind == Question.Kind.SCALE:
            if not 1 <= picked[0] <= q.scale_max:
                raise ServiceError(400, _("%(q)s：分值应在 1 到 %(m)d 之间") % {"q": label, "m": q.scale_max})
            rows.append((pk, None, picked[0]))
        else:
            count = len(q.option_list())
            if any(not 0 <= c < count for c in picked):
                raise ServiceError(400, _("%(q)s：选项不存在") % {"q": label})
            rows += [(pk, c, None) for c in sorted(picked)]
    return rows, texts


@router.post("/{number}/responses", response={201: Message, 400: Message, 404: Message, 409: Message, 429: Message},
             summary="提交答卷（每人一次）")
def respond(request, number: str, payload: ResponseIn):
    s = _get(number)
    _require_open(s)
    token_hash = tokens.token_hash(payload.token, s.number)
    if Response.objects.filter(survey=s, token_hash=token_hash).exists():
        raise ServiceError(409, _("您已提交过本调查的答卷，每人只能提交一次"))
    rows, texts = _answer_rows(s, payload.answers)
    contact_hash = None
    if s.verification:
        if not payload.contact or not payload.code:
            raise ServiceError(400, _("本调查需要先获取并填写验证码"))
        contact = _check_contact(s, payload.contact)
        contact_hash = tokens.contact_hash(s.number, contact)
        if Response.objects.filter(survey=s, contact_hash=contact_hash).exists():
            raise ServiceError(409, _("该联系方式已参加过本调查，每人只能提交一次"))
    antispam.guard_write(request, "surveys", payload.challenge_token, payload.challenge_answer, use=token_hash)
    if s.verification:
        tokens.check_code(s.number, contact, payload.code)
    ip = antispam.client_ip(request)
    try:
        with transaction.atomic():
            response = Response.objects.create(survey=s, token_hash=token_hash, contact_hash=contact_hash,
                                               client_ip=ip if ip != "unknown" else None)
            Answer.objects.bulk_create([Answer(response=response, question_id=q, choice=c, value=v)
                                        for q, c, v in rows])
            TextAnswer.objects.bulk_create([TextAnswer(response=response, question_id=q, text=t, department_id=s.department_id)
                                            for q, t in texts])
    except IntegrityError:
        raise ServiceError(409, _("您已提交过本调查的答卷，每人只能提交一次")) from None
    return 201, {"message": _("答卷已提交，感谢您的参与！")}
