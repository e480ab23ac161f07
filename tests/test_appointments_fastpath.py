"""The booking's short path (cms.fastpath, POST; [0113]) answers exactly what Django's whole handler does.

Both WSGI applications run in this process on the same request: Django's handler alone (what
``GOVSITE_FAST_PATHS=0`` serves) and ``cms.fastpath.FastPaths`` in front of it (what ``cms.wsgi``
serves). A booking writes, so to compare a success byte for byte the booking number and code are
drawn from a fixed sequence and the booking the first application made is taken back before the
second gets the same request (same challenge, same key). Refusals get a fresh challenge each.
Over real servers and processes: ``tests/test_appointments_http.py``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time

import orjson
import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from cms.fastpath import FastPaths, routes_of_modules
from content_models.models import Department
from services import antispam
from services.appointments import booking as svc
from services.appointments.models import Booking, Period, Slot, Window
from tests.helpers.services import new_key, solve

pytestmark = pytest.mark.django_db
BOOKINGS = "/api/services/appointments/bookings"
MONDAY = dt.date(2026, 9, 21)
NATIONAL_DAY = dt.date(2026, 10, 1)
ADJUSTED_SATURDAY = dt.date(2026, 10, 10)  # 调休: a working Saturday
SUNDAY = dt.date(2026, 9, 27)


@pytest.fixture
def window(monkeypatch):
    monkeypatch.setattr(svc, "now", lambda: dt.datetime(2026, 9, 21, 8, 0))
    dept = Department.objects.create(slug="bdc", name="不动产登记中心")
    w = Window.objects.create(department=dept, name="不动产登记窗口", place="市民服务中心一楼 3 号窗口", days_ahead=30)
    Period.objects.create(window=w, start=dt.time(9), end=dt.time(10), capacity=5, sort_order=0)
    Period.objects.create(window=w, start=dt.time(14), end=dt.time(15), capacity=300, sort_order=1)
    return w


@pytest.fixture
def apps(settings, monkeypatch):
    """(Django's handler, the short path in front of it, the requests the former got, a reset of
    the number/code sequence)."""
    settings.GOVSITE_SERVICES_RATE_LIMIT = 0
    settings.GOVSITE_CORS_ORIGINS = ["https://www.example.gov.cn"]
    cache.clear()
    seq = {"n": itertools.count(1)}
    monkeypatch.setattr(svc, "new_number", lambda day: f"YY{day:%Y%m%d}{next(seq['n']):06d}")
    monkeypatch.setattr(svc, "new_code", lambda: "ABCDEFGHJK")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    django_app = WSGIHandler()
    passed: list[str] = []

    def counting(environ, start_response):
        passed.append(environ["PATH_INFO"])
        return django_app(environ, start_response)

    def restart():
        seq["n"] = itertools.count(1)

    try:
        yield django_app, FastPaths(counting, routes_of_modules()), passed, restart
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        cache.clear()


def body(target, day=MONDAY, start="14:00", **kw) -> dict:
    challenge = antispam.new_challenge()
    data = {"window": target.pk, "day": getattr(day, "isoformat", lambda: day)(), "start": start, "name": "许文华", "phone": "13800138000",
            "item": "不动产转移登记", "challenge_token": challenge.token, "challenge_answer": solve(challenge.question)}
    data.update(kw)
    return data


def call(app, data, key: str | None = "", content_type="application/json", **headers):
    raw = data if isinstance(data, bytes) else orjson.dumps(data)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key or new_key()
    environ = RequestFactory().post(BOOKINGS, raw, content_type=content_type, **headers).environ
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, response_headers

    out = b"".join(app(environ, start_response))
    return seen["status"], dict(seen["headers"]), out


def assert_same(a, b, *, apart: float = 0.0):
    """The same answer; a Retry-After (seconds left in a lock) may differ by the whole seconds that
    passed between the two answers (``apart``, measured by the caller on a loaded machine)."""
    (status_a, headers_a, body_a), (status_b, headers_b, body_b) = a, b
    headers_a, headers_b = dict(headers_a), dict(headers_b)
    retry_a, retry_b = headers_a.pop("Retry-After", None), headers_b.pop("Retry-After", None)
    assert (retry_a is None) == (retry_b is None)
    if retry_a is not None:
        assert abs(int(retry_a) - int(retry_b)) <= 1 + math.ceil(apart)
    assert (status_a, headers_a, body_a) == (status_b, headers_b, body_b)


def take_back(number: str) -> None:
    """Undo the booking the first application made, counter included."""
    booking = Booking.objects.get(number=number)
    Slot.objects.filter(pk=booking.slot_id).update(booked=booking.slot.booked - 1)
    booking.delete()


@pytest.mark.parametrize("day", [MONDAY, ADJUSTED_SATURDAY])
@pytest.mark.parametrize("headers", [{}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ORIGIN": "https://www.example.gov.cn"}])
def test_a_booking_gets_the_same_receipt_without_passing_django(apps, window, day, headers):
    django_app, fast, passed, restart = apps
    data, key = body(window, day), new_key()
    short = call(fast, data, key, **headers)
    assert passed == []  # answered by the short path
    status, response_headers, out = short
    assert status == "201 Created", out
    receipt = orjson.loads(out)
    assert receipt["code"] == "ABCDEFGHJK" and receipt["name"] == "许*华" and receipt["day"] == day.isoformat()
    assert receipt["window"] == "不动产登记中心 不动产登记窗口" and receipt["start"] == "14:00" and receipt["end"] == "15:00"
    assert response_headers["X-Content-Type-Options"] == "nosniff"
    stored = Booking.objects.get(number=receipt["number"])
    assert (stored.slot.booked, stored.idempotency_key, stored.department.slug) == (1, key, "bdc")
    assert svc.code_matches(stored, "ABCDEFGHJK")
    take_back(receipt["number"])
    restart()
    assert_same(short, call(django_app, data, key, **headers))
    # a retry with the same key: the same booking, without its code, on both
    retry = call(fast, data, key, **headers)
    assert retry[0] == "200 OK" and orjson.loads(retry[2])["code"] is None
    assert_same(retry, call(django_app, data, key, **headers))
    assert Booking.objects.count() == 1 and passed == []


def test_refusals_are_the_same_and_store_nothing(apps, window, settings):
    django_app, fast, passed, _restart = apps
    slot = svc.slots_of_day(window, MONDAY + dt.timedelta(days=1))[0]
    Slot.objects.filter(pk=slot.pk).update(booked=slot.capacity)
    cases = {
        "full": lambda: body(window, slot.day, "09:00"),
        "holiday": lambda: body(window, NATIONAL_DAY),
        "sunday": lambda: body(window, SUNDAY),
        "past": lambda: body(window, MONDAY - dt.timedelta(days=1)),
        "too far": lambda: body(window, MONDAY + dt.timedelta(days=60)),
        "no such start": lambda: body(window, MONDAY, "11:00"),
        "unknown window": lambda: body(window, window=window.pk + 100),
        "wrong answer": lambda: body(window, challenge_answer="99"),
        "unknown challenge": lambda: body(window, challenge_token="x" * 32),
    }
    answers = {}
    for name, make in cases.items():
        for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "en"}):
            short = call(fast, make(), **headers)
            assert_same(short, call(django_app, make(), **headers))
            answers[name, bool(headers)] = short
    assert passed == []
    message = {k: orjson.loads(v[2])["message"] for k, v in answers.items()}
    assert answers["full", False][0].startswith("409") and message["full", False] == "该时段已约满，请选择其他时段"
    assert "2026-10-01 是法定节假日或休息日" in message["holiday", False]
    assert answers["unknown window", False][0].startswith("404")
    assert message["wrong answer", False] == "验证题答案不正确"
    assert message["full", True] != message["full", False]  # English
    assert not Booking.objects.exists()


def test_key_rules_and_the_rate_limit_answer_the_same(apps, window, settings):
    django_app, fast, passed, restart = apps
    for key in (None, "short", "bad key with spaces"):
        assert_same(call(fast, body(window), key), call(django_app, body(window), key))
    first_key = new_key()
    first = call(fast, body(window), first_key)
    assert first[0] == "201 Created"
    # the same key with another body: refused on both, nothing booked
    assert_same(call(fast, body(window, name="王会"), first_key), call(django_app, body(window, name="王会"), first_key))
    settings.GOVSITE_SERVICES_RATE_LIMIT = 1
    cache.clear()
    call(fast, body(window))  # the one write this client may make in the window
    started = time.monotonic()
    locked = call(fast, body(window))
    assert locked[0] == "429 Too Many Requests" and int(locked[1]["Retry-After"]) > 0
    assert_same(locked, call(django_app, body(window)), apart=time.monotonic() - started)
    assert passed == [] and Booking.objects.count() == 2


@pytest.mark.parametrize("raw", [
    b"not json", b"[1, 2]", b'{"window": 1}', "\ufeff{}".encode(), b'{"window": NaN}',
])
def test_bodies_the_model_refuses_go_through_django(apps, window, raw):
    django_app, fast, passed, _restart = apps
    answer = call(fast, raw)
    assert passed == [BOOKINGS]
    assert_same(answer, call(django_app, raw))
    assert answer[0].startswith(("400", "422")) and orjson.loads(answer[2])["message"]


@pytest.mark.parametrize("change", [
    {"phone": "123"}, {"name": "   "}, {"name": "许\x00文华"}, {"window": 0}, {"window": "1"}, {"day": "2026-9-21"},
    {"start": "9点"}, {"email": "nobody"}, {"item": "事" * 201}, {"challenge_answer": ""},
])
def test_invalid_fields_get_ninjas_chinese_422_through_django(apps, window, change):
    django_app, fast, passed, _restart = apps
    if change == {"window": "1"}:
        change = {"window": str(window.pk)}
    data = body(window, **change)
    answer = call(fast, data)
    if isinstance(change.get("window"), str):  # ninja's lax mode takes a numeric string, and so does the short path
        assert answer[0] == "201 Created" and passed == []
        return
    assert passed == [BOOKINGS] and answer[0].startswith("422")
    assert_same(answer, call(django_app, data))
    assert not Booking.objects.exists()


def test_unusual_requests_go_through_django(apps, window):
    django_app, fast, passed, _restart = apps
    wrong_type = call(fast, body(window), content_type="text/plain")
    assert wrong_type[0].startswith("415") and orjson.loads(wrong_type[2])["message"]
    passed.clear()
    environ = RequestFactory().post(BOOKINGS, orjson.dumps(body(window)), content_type="application/json",
                                    HTTP_IDEMPOTENCY_KEY=new_key()).environ
    del environ["CONTENT_LENGTH"]  # chunked: the short path leaves it to Django
    fast(environ, lambda *a: None)
    assert passed == [BOOKINGS]
    passed.clear()
    call(fast, {**body(window), "item": "事" * 20000})  # larger than the short path reads
    assert passed == [BOOKINGS]
    passed.clear()
    environ = RequestFactory().get(BOOKINGS).environ
    fast(environ, lambda *a: None)
    assert passed == [BOOKINGS]
