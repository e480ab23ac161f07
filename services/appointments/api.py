"""Public API of appointments: windows and their open slots, book (idempotent, anti-spam), look
up, cancel and change with the booking number and code.

Booking is the write citizens send in bursts (a window opens its next days): on a server
(``cms.wsgi``) a well-formed ``POST …/bookings`` is answered ahead of Django's routing
(``fast_routes``, cms.fastpath) by :func:`answer_booking`, the same function the ninja route
calls, after the same input model (``BookingIn``) took the body; a body it refuses goes through
ninja and gets its Chinese 422 [0113].
"""

from __future__ import annotations

import datetime as dt
import re

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ValidationError, field_validator

from cms.api.errors import ServiceError, Throttled, register_labels
from cms.fastpath import FastRoute
from services import idempotency, throttle
from services.api_common import (
    CleanInput,
    IdempotencyHeader,
    Message,
    WriteGuard,
    add_challenge_route,
    begin_write,
)
from services.appointments import booking as svc
from services.appointments.models import Booking, Window
from services.masking import mask_name
from services.workdays import is_workday

router = Router()
register_labels({"window": "窗口", "day": "日期", "start": "时段", "name": "姓名", "phone": "手机号",
                 "email": "电子邮箱", "item": "办理事项", "code": "预约码", "days": "天数"}, under="services/appointments")
add_challenge_route(router, "appointments")

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class WindowOut(Schema):
    id: int
    name: str
    department: str
    place: str
    items: list[str]
    notice: str
    days_ahead: int


class SlotOut(Schema):
    start: str
    end: str
    capacity: int
    left: int


class DayOut(Schema):
    day: dt.date
    slots: list[SlotOut]


_window = svc.active_window


@router.get("/windows", response=list[WindowOut], summary="可预约的窗口")
def windows(request):
    return [{"id": w.pk, "name": w.name, "department": w.department.name, "place": w.place, "items": w.item_list(),
             "notice": w.notice, "days_ahead": w.days_ahead}
            for w in Window.objects.filter(active=True).select_related("department")]


class DaysParams(CleanInput):
    days: int = Field(7, ge=1, le=60)


@router.get("/windows/{window_id}/days", response={200: list[DayOut], 404: Message},
            summary="窗口今后的工作日及各时段余量（节假日不列出，调休上班日列出）")
def days(request, window_id: int, params: Query[DaysParams]):
    window = _window(window_id)
    out, day = [], svc.today()
    last = day + dt.timedelta(days=window.days_ahead)
    now = svc.now()
    while day <= last and len(out) < params.days:
        if is_workday(day):
            slots = [{"start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}", "capacity": s.capacity, "left": s.left}
                     for s in svc.slots_of_day(window, day) if s.starts_at() > now]
            if slots:
                out.append({"day": day, "slots": slots})
        day += dt.timedelta(days=1)
    return 200, out


class BookingIn(WriteGuard):
    window: int = Field(..., ge=1)
    day: dt.date
    start: dt.time
    name: str = Field(..., min_length=1, max_length=50)
    phone: str = Field(..., min_length=1, max_length=20)
    email: str = Field("", max_length=200)
    item: str = Field("", max_length=200)

    @field_validator("name")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(_("不能为空"))
        return value.strip()

    @field_validator("phone")
    @classmethod
    def phone_format(cls, value: str) -> str:
        value = value.strip().replace(" ", "")
        if not PHONE_RE.match(value):
            raise ValueError(_("应为 11 位手机号（用于接收预约提醒短信）"))
        return value

    @field_validator("email")
    @classmethod
    def email_format(cls, value: str) -> str:
        value = value.strip()
        if value and not EMAIL_RE.match(value):
            raise ValueError(_("格式不正确"))
        return value


class Receipt(Schema):
    number: str = Field(..., description="预约号")
    code: str | None = Field(None, description="预约码（只在预约成功时显示一次，取消或改约时需要）")
    window: str
    place: str
    day: dt.date
    start: str
    end: str
    status: str
    status_label: str
    name: str = Field(..., description="姓名（已脱敏）")


def _status_label(status: str) -> str:
    """The status's label in the active language; a stored status that no choice names gives its raw
    value (as ``get_status_display`` does), never an error."""
    try:
        return str(Booking.Status(status).label)
    except ValueError:
        return status


def receipt(b: Booking, code: str | None = None) -> dict:
    # the status's own label: get_status_display() hashes every choice's lazy label (a translation each)
    return {"number": b.number, "code": code, "window": str(b.window), "place": b.window.place, "day": b.slot.day,
            "start": f"{b.slot.start:%H:%M}", "end": f"{b.slot.end:%H:%M}", "status": b.status,
            "status_label": _status_label(b.status), "name": mask_name(b.name)}


def _json(data: dict, status: int) -> HttpResponse:
    response = HttpResponse(orjson.dumps(data), content_type="application/json; charset=utf-8", status=status)
    response._has_been_logged = status < 500  # a full slot or a day off is an answer, not a warning
    return response


def answer_booking(request: HttpRequest, payload: BookingIn, idempotency_key: str | None) -> HttpResponse:
    """The booking's answer, the same through ninja and through the short path (cms.fastpath):
    the receipt (201, or 200 for a retry with the same key), or a refusal with its message."""
    try:
        data = payload.dict(exclude={"challenge_token", "challenge_answer"})
        data["day"], data["start"] = data["day"].isoformat(), data["start"].strftime("%H:%M")
        start = payload.start.replace(second=0, microsecond=0)
        # the key's use and the slot in one read (the key checked first, as begin_write would)
        found = svc.read_for_booking(idempotency.clean_key(idempotency_key), payload.window, payload.day, start)
        key, fp, existing = begin_write(request, "appointments", Booking, idempotency_key, data, payload,
                                        key_used=lambda _key: found.key_used)
        if existing is not None:
            return _json(receipt(existing), 200)
        slot = svc.slot_to_book(payload.window, payload.day, start, row=found.slot_row)
        booking, code = svc.book(slot, name=payload.name, phone=payload.phone, email=payload.email,
                                 item=payload.item, key=key, fingerprint=fp)
        return _json(receipt(booking, code), 201 if code else 200)
    except ServiceError as exc:
        response = _json({"message": str(exc)}, exc.status_code)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response


@router.post("/bookings", response={200: Receipt, 201: Receipt, 400: Message, 404: Message, 409: Message, 429: Message},
             summary="预约（返回预约号和预约码）")
def create_booking(request, payload: BookingIn, idempotency_key: str | None = IdempotencyHeader):
    return answer_booking(request, payload, idempotency_key)


def _accepts_booking(body: bytes) -> BookingIn | None:
    """The body as ``BookingIn`` when it is a JSON object the ninja route would take, else None
    (anything unusual: not UTF-8 JSON, not an object, a field missing or invalid) so ninja answers."""
    try:
        data = orjson.loads(body)
        return BookingIn.model_validate(data) if isinstance(data, dict) else None
    except (orjson.JSONDecodeError, ValidationError, ValueError, TypeError):
        return None


def _fast_booking(request: HttpRequest) -> HttpResponse:
    return answer_booking(request, request.fast_input, request.headers.get("Idempotency-Key"))


# citizens book in bursts: answered ahead of Django's routing (cms.fastpath, AppointmentsConfig.fast_routes)
fast_routes = {"bookings": FastRoute(view=_fast_booking, accepts=_accepts_booking, method="POST")}


class CodeIn(CleanInput):
    code: str = Field(..., min_length=1, max_length=20)


class ChangeIn(CodeIn):
    day: dt.date
    start: dt.time


def _own(request, number: str, code: str) -> Booking:
    """The booking if the code is right; one answer for a wrong code and an unknown number, and
    wrong codes count against the number and the client in the shared cache, like every lookup
    (after a few, 429 with Retry-After: no guessing)."""
    booking = throttle.find_by_code(
        request, "appointments", number.strip()[:40],
        lambda key: Booking.objects.filter(number=key).select_related("slot", "window", "window__department").first(),
        lambda found: svc.code_matches(found, code))
    if booking is None:
        raise ServiceError(404, _("未找到该预约，请核对预约号和预约码"))
    return booking


@router.get("/bookings/{number}", response={200: Receipt, 404: Message, 429: Message}, summary="查询预约")
def lookup(request, number: str, params: Query[CodeIn]):
    return 200, receipt(_own(request, number, params.code))


@router.post("/bookings/{number}/cancel", response={200: Receipt, 404: Message, 409: Message, 429: Message},
             summary="取消预约")
def cancel_booking(request, number: str, payload: CodeIn):
    return 200, receipt(svc.cancel(_own(request, number, payload.code)))


@router.post("/bookings/{number}/change", response={200: Receipt, 400: Message, 404: Message, 409: Message, 429: Message},
             summary="改约到同一窗口的其他时段")
def change_booking(request, number: str, payload: ChangeIn):
    booking = _own(request, number, payload.code)
    slot = svc.find_slot(booking.window, payload.day, payload.start.replace(second=0, microsecond=0))
    return 200, receipt(svc.change(booking, slot))
