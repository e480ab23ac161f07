"""The status lookup's short path (cms.fastpath, [0085]) answers exactly what Django's whole handler does.

Both WSGI applications run in this process on the same request environ: Django's handler alone
(what ``GOVSITE_FAST_PATHS=0`` serves) and ``cms.fastpath.FastPaths`` in front of it (what
``cms.wsgi`` serves). The real servers over ``cms.wsgi:application`` are exercised across
processes in ``tests/test_services_shared_state.py``.
"""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from cms.fastpath import FastPaths, routes_of_modules
from services.status.models import Application

pytestmark = pytest.mark.django_db
LOOKUP = "/api/services/status/lookup"


@pytest.fixture
def apps(settings):
    """(Django's handler, the short path in front of it, a list of requests the former got)."""
    settings.GOVSITE_LOOKUP_FAILURES_PER_NUMBER = 3
    settings.GOVSITE_LOOKUP_FAILURES_PER_CLIENT = 50
    settings.GOVSITE_CORS_ORIGINS = ["https://www.example.gov.cn"]
    cache.clear()
    # like Django's test client: the test's transaction must outlive each request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    django_app = WSGIHandler()
    passed: list[str] = []

    def counting(environ, start_response):
        passed.append(environ.get("QUERY_STRING", ""))
        return django_app(environ, start_response)

    try:
        yield django_app, FastPaths(counting, routes_of_modules()), passed
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        cache.clear()


def call(app, query: dict | None = None, path: str = LOOKUP, method: str = "get", **headers):
    environ = getattr(RequestFactory(), method)(path, query or {}, **headers).environ
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, response_headers

    body = b"".join(app(environ, start_response))
    return seen["status"], dict(seen["headers"]), body


@pytest.fixture
def case():
    return Application.objects.create(number="XK2026100", applicant="许文华", item="建设工程规划许可",
                                      department="自然资源局", accepted_on=dt.date(2026, 9, 28), deadline_days=20)


def assert_same(a, b):
    (status_a, headers_a, body_a), (status_b, headers_b, body_b) = a, b
    headers_a, headers_b = dict(headers_a), dict(headers_b)
    assert status_a == status_b
    retry_a, retry_b = headers_a.pop("Retry-After", None), headers_b.pop("Retry-After", None)
    assert (retry_a is None) == (retry_b is None)
    if retry_a is not None:  # seconds left in the lock, read a moment apart
        assert abs(int(retry_a) - int(retry_b)) <= 1
    assert headers_a == headers_b
    assert body_a == body_b


def test_a_right_code_gets_the_same_answer_without_passing_django(apps, case):
    django_app, fast, passed = apps
    query = {"no": case.number, "code": case.query_code}
    short = call(fast, query)
    assert_same(short, call(django_app, query))
    assert passed == []  # answered by the short path
    status, headers, body = short
    assert status == "200 OK" and headers["Content-Type"].startswith("application/json")
    assert orjson.loads(body)["applicant"] == "许文华" and "query_code" not in orjson.loads(body)
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("headers", [
    {}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ORIGIN": "https://www.example.gov.cn"},
    {"HTTP_ORIGIN": "https://evil.example.com"}, {"HTTP_X_FORWARDED_FOR": "203.0.113.9"},
])
def test_misses_and_the_lock_answer_the_same_in_every_language_and_origin(apps, case, headers):
    django_app, fast, passed = apps
    wrong = {"no": case.number, "code": "WRONGCODE9"}
    unknown = {"no": "XK-NO-SUCH", "code": case.query_code}
    assert_same(call(fast, unknown, **headers), call(django_app, unknown, **headers))
    first = call(fast, wrong, **headers)
    assert first[0] == "404 Not Found" and "message" in orjson.loads(first[2])
    call(django_app, wrong, **headers)
    call(fast, wrong, **headers)  # the third wrong code: the number is locked
    locked = call(fast, {"no": case.number, "code": case.query_code}, **headers)
    assert_same(locked, call(django_app, {"no": case.number, "code": case.query_code}, **headers))
    status, response_headers, body = locked
    assert status == "429 Too Many Requests" and int(response_headers["Retry-After"]) > 0
    if "HTTP_ACCEPT_LANGUAGE" not in headers:
        assert "查询码错误次数过多" in orjson.loads(body)["message"]
    assert passed == []


@pytest.mark.parametrize("query", [
    {}, {"no": "XK2026100"}, {"code": "ABCDEFGHJK"}, {"no": "", "code": "ABCDEFGHJK"},
    {"no": "X" * 41, "code": "ABCDEFGHJK"}, {"no": "XK2026100", "code": "A" * 21},
    {"no": "XK\x00", "code": "ABCDEFGHJK"}, {"no": ["XK2026100", "XK2026101"], "code": "ABCDEFGHJK"},
])
def test_bad_input_goes_through_django_and_gets_its_chinese_error(apps, case, query):
    django_app, fast, passed = apps
    answer = call(fast, query)
    assert passed, "bad input must take Django's whole path"
    assert_same(answer, call(django_app, query))
    assert orjson.loads(answer[2])["message"]
    if not isinstance(query.get("no"), list):  # a repeated parameter: ninja reads one of them
        assert answer[0].startswith(("400", "422"))


def test_other_methods_and_paths_go_through_django(apps, case):
    django_app, fast, passed = apps
    answer = call(fast, {"no": case.number, "code": case.query_code}, method="post")
    assert answer[0].startswith(("405", "415")) and passed
    assert "message" in orjson.loads(answer[2])
    passed.clear()
    call(fast, {"no": case.number, "code": case.query_code}, path=LOOKUP + "/")
    assert passed


def test_cms_wsgi_serves_the_short_path_unless_turned_off(settings):
    from cms import fastpath, wsgi  # noqa: PLC0415 - importing cms.wsgi builds the application

    assert isinstance(wsgi.application, FastPaths)
    assert LOOKUP in wsgi.application.routes
    settings.GOVSITE_FAST_PATHS = False
    plain = WSGIHandler()
    assert fastpath.wrap(plain) is plain
