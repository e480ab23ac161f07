"""Everything that moves a disclosure request, each in one transaction that locks the request,
checks the actor's department, re-runs the clock with the new event, logs who and when, and
tells the applicant (accepted, 补正, extended, answered) or the department's staff (new).

Staff act only on their own department's requests (``cms.admin.permissions``: the documents' rule);
the platform administrators on all.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from cms.admin import permissions
from cms.api.errors import ServiceError
from content_models.models import Department
from services.inforequests import clock, outcomes
from services.inforequests.models import InfoRequest, RequestEvent
from services.notify import Notification, notify

logger = logging.getLogger(__name__)
Action = RequestEvent.Action
CLOCK_ACTIONS = {Action.RECEIVE: clock.RECEIVE, Action.SUPPLEMENT_REQUESTED: clock.SUPPLEMENT_REQUESTED,
                 Action.SUPPLEMENT_RECEIVED: clock.SUPPLEMENT_RECEIVED, Action.EXTEND: clock.EXTEND,
                 Action.CONSULT_START: clock.CONSULT_START, Action.CONSULT_END: clock.CONSULT_END}
STATUS_BY_CLOCK = {"not_started": InfoRequest.Status.SUBMITTED, "running": InfoRequest.Status.ACCEPTED,
                   "awaiting_supplement": InfoRequest.Status.SUPPLEMENT, "paused": InfoRequest.Status.CONSULTING}


class WorkflowError(ServiceError):
    """A step the rules or the actor's rights do not allow; the message is for the user."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, message)


@dataclass(frozen=True)
class Step:
    action: str
    on: dt.date
    days: int = 0
    note: str = ""
    approver: str = ""
    department: Department | None = None
    outcome: str = ""
    reason: str = ""
    legal_basis: str = ""
    reply_text: str = ""
    reply_file: File | None = None


def actor_name(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def can_act(user, request: InfoRequest) -> bool:
    """Whether ``user`` may see and handle ``request``: its department's staff, or everyone's
    admins; ``None`` is the platform itself (commands, the demo), never a web request."""
    if user is None:
        return True
    ids = permissions.department_ids_for_user(user)
    return ids is None or request.department_id in ids


def clock_events(request: InfoRequest, extra: tuple[clock.ClockEvent, ...] = ()) -> list[clock.ClockEvent]:
    rows = request.events.filter(action__in=list(CLOCK_ACTIONS)).order_by("at", "id")
    return [clock.ClockEvent(CLOCK_ACTIONS[e.action], e.on, e.days) for e in rows] + list(extra)


def current_clock(request: InfoRequest) -> clock.Clock:
    return clock.compute(clock_events(request))


def _apply_clock(request: InfoRequest, state: clock.Clock) -> None:
    request.received_on = state.received_on
    request.deadline = state.shown_deadline
    request.deadline_provisional = state.provisional
    request.extended_days = state.extended_days
    if request.status != InfoRequest.Status.ANSWERED:
        request.status = STATUS_BY_CLOCK[state.state]


def check(request: InfoRequest, step: Step) -> None:
    """Raise :class:`WorkflowError` when ``step`` may not be taken now (used by the admin form
    before saving, and again inside :func:`take`)."""
    if request.status == InfoRequest.Status.ANSWERED:
        raise WorkflowError("该申请已答复办结，不能再办理")
    if step.on > timezone.localdate():
        raise WorkflowError("日期不能晚于今天")
    if step.action in CLOCK_ACTIONS:
        if step.action == Action.EXTEND and not step.approver.strip():
            raise WorkflowError("延长答复期限须经政府信息公开工作机构负责人同意，请填写批准人")
        try:
            clock.compute(clock_events(request, (clock.ClockEvent(CLOCK_ACTIONS[step.action], step.on, step.days),)))
        except clock.ClockError as exc:
            raise WorkflowError(str(exc)) from exc
    elif step.action == Action.TRANSFER:
        if step.department is None or step.department.pk == request.department_id:
            raise WorkflowError("请选择另一个部门")
    elif step.action == Action.ANSWER:
        if request.received_on is None:
            raise WorkflowError("请先确认收到申请")
        if step.outcome not in outcomes.Outcome.values:
            raise WorkflowError("请选择处理结果")
        if outcomes.reason_required(step.outcome) and not outcomes.reason_allowed(step.outcome, step.reason):
            raise WorkflowError(f"“{outcomes.Outcome(step.outcome).label}”须选择相应的理由")
        if not outcomes.reason_required(step.outcome) and step.reason:
            raise WorkflowError(f"“{outcomes.Outcome(step.outcome).label}”不填写理由")
        if not step.reply_text.strip() and step.reply_file is None:
            raise WorkflowError("请填写答复内容或上传答复书")
        if step.outcome != outcomes.Outcome.DISCLOSED and not step.legal_basis.strip():
            raise WorkflowError("请填写法律依据")
    else:
        raise WorkflowError("未知的办理操作")


@transaction.atomic
def take(request_id: int, step: Step, user) -> InfoRequest:
    """Take one step on a request as ``user``: checked, logged, clock refreshed, applicant told."""
    request = InfoRequest.objects.select_for_update().get(pk=request_id)
    if not can_act(user, request):
        raise WorkflowError("无权办理其他部门的申请", status=403)
    check(request, step)
    note = step.note.strip()
    if step.action == Action.EXTEND:
        request.extension_approver = step.approver.strip()
        note = f"批准人：{request.extension_approver}；{note}".rstrip("；")
    elif step.action == Action.TRANSFER:
        note = f"{request.department.name} → {step.department.name}；{note}".rstrip("；")
        request.department = step.department
    elif step.action == Action.ANSWER:
        request.status = InfoRequest.Status.ANSWERED
        request.outcome, request.reason = step.outcome, step.reason
        request.legal_basis, request.reply_text = step.legal_basis.strip(), step.reply_text.strip()
        request.answered_on = step.on
        if step.reply_file is not None:
            request.reply_file.save(step.reply_file.name.rsplit("/", 1)[-1], step.reply_file, save=False)
        note = outcomes.Outcome(step.outcome).label + (f"（{outcomes.Reason(step.reason).label}）" if step.reason else "")
    RequestEvent.objects.create(request=request, action=step.action, on=step.on, days=step.days, note=note,
                                actor=user, actor_name=actor_name(user))
    _apply_clock(request, current_clock(request))
    request.save()
    transaction.on_commit(lambda: tell_applicant(request, step.action))
    if step.action == Action.TRANSFER:
        transaction.on_commit(lambda: tell_staff_new(request))
    return request


def record_submission(request: InfoRequest) -> None:
    """Log the submission and tell the department's staff (called in the creating transaction)."""
    RequestEvent.objects.create(request=request, action=Action.SUBMITTED, on=timezone.localdate(),
                                actor_name="申请人", note=request.get_channel_display())
    transaction.on_commit(lambda: tell_staff_new(request))


# -- notifications -------------------------------------------------------------------------------

def staff_contacts(department_id: int) -> tuple[str, ...]:
    """E-mail addresses of the department's staff (its editors' group)."""
    department = Department.objects.select_related("editors").get(pk=department_id)
    if department.editors is None:
        return ()
    return tuple(e for e in department.editors.user_set.filter(is_active=True).values_list("email", flat=True) if e)


def _applicant_message(request: InfoRequest, action: str) -> Notification | None:
    ref = f"您的政府信息公开申请（编号 {request.number}）"
    deadline = f"{request.deadline:%Y年%m月%d日}" if request.deadline else ""
    if request.deadline_provisional and deadline:
        deadline += "（暂定）"
    texts = {
        Action.RECEIVE: ("政府信息公开申请已受理", f"{ref}已于 {request.received_on} 确认收到，答复期限为 {deadline}。"),
        Action.SUPPLEMENT_REQUESTED: ("政府信息公开申请需要补正",
                                     f"{ref}需要补正：{request.events.last().note or '请凭编号和查询码查看'}。"
                                     "收到补正之日起重新计算答复期限。"),
        Action.EXTEND: ("政府信息公开申请答复期限延长",
                        f"{ref}的答复期限经批准延长 {request.extended_days} 个工作日，至 {deadline}。"),
        Action.ANSWER: ("政府信息公开申请已答复（办结）",
                        f"{ref}已于 {request.answered_on} 答复：{request.get_outcome_display()}。"
                        "请凭编号和查询码查看或下载答复书。"),
    }
    if action not in texts:
        return None
    subject, body = texts[action]
    return Notification(subject, body, tuple(c for c in (request.email, request.phone) if c))


def tell_applicant(request: InfoRequest, action: str) -> None:
    message = _applicant_message(request, action)
    if message is None:
        return
    try:
        notify(message)
    except Exception:  # never undo a step because a message failed; the applicant can look it up
        logger.exception("could not notify the applicant of %s", request.number)


def tell_staff_new(request: InfoRequest) -> None:
    recipients = staff_contacts(request.department_id) + tuple(
        c.strip() for c in request.handler_contact.split(",") if c.strip())
    if not recipients:
        return
    try:
        notify(Notification(f"新的政府信息公开申请 {request.number}",
                            f"{request.department.name}收到政府信息公开申请 {request.number}（{request.name}），"
                            "请登录管理后台确认收到并办理。", recipients))
    except Exception:
        logger.exception("could not notify the staff of %s", request.number)


@transaction.atomic
def recount(request_id: int) -> None:
    """Count an open request's deadline again (the calendar changed); nothing is logged."""
    request = InfoRequest.objects.select_for_update().get(pk=request_id)
    if request.status == InfoRequest.Status.ANSWERED:
        return
    _apply_clock(request, current_clock(request))
    request.save(update_fields=["received_on", "deadline", "deadline_provisional", "extended_days", "status",
                                "updated_at"])
