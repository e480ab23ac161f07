"""One lookup-throttle helper (services.throttle.find_by_code) for every lookup by number and code.

A new module that looks its cases up through the helper is throttled like status, letters,
appointments and 依申请公开 without writing any counting of its own: after a few wrong codes for
one number every lookup of it answers 429 with ``Retry-After`` and a Chinese message, the right
code included, while other numbers still answer; and no module counts by hand.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from ninja import NinjaAPI, Router
from ninja.testing import TestClient

from cms.api import errors
from cms.api.errors import ServiceError
from services import throttle
from services.cases import code_matches

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent

PARCELS = {"BG0001": "ABCDEFGHJK", "BG0002": "KJHGFEDCBA"}  # a new module's cases: number -> code


def parcel_api() -> TestClient:
    """A module written today: its one lookup uses the helper and nothing else of the throttle."""
    router = Router()

    @router.get("/lookup")
    def lookup(request, no: str, code: str):
        number = throttle.find_by_code(request, "parcels", no.strip(), lambda key: key if key in PARCELS else None,
                                       lambda key: code_matches(PARCELS[key], code))
        if number is None:
            raise ServiceError(404, "未找到该包裹，请核对编号和查询码")
        return {"number": number}

    api = NinjaAPI(urls_namespace="parcels-test")
    errors.install(api)
    api.add_router("/parcels", router)
    return TestClient(api)


@pytest.fixture
def client(settings):
    settings.GOVSITE_LOOKUP_FAILURES_PER_NUMBER = 3
    settings.GOVSITE_LOOKUP_FAILURES_PER_CLIENT = 50
    cache.clear()
    yield parcel_api()
    cache.clear()


def test_a_new_module_using_the_helper_gets_429_after_failed_codes(client):
    assert client.get("/parcels/lookup?no=BG0001&code=abcde-fghjk").json() == {"number": "BG0001"}
    answers = [client.get("/parcels/lookup?no=BG0001&code=WRONGCODE9") for _ in range(4)]
    assert [r.status_code for r in answers] == [404, 404, 404, 429]
    right = client.get("/parcels/lookup?no=BG0001&code=ABCDEFGHJK")
    assert right.status_code == 429  # the right code too: else the answer would tell a guess right
    assert int(right["Retry-After"]) > 0 and "查询码错误次数过多" in right.json()["message"]
    assert client.get("/parcels/lookup?no=BG0002&code=KJHGFEDCBA").status_code == 200  # other numbers answer


def test_unknown_numbers_count_like_wrong_codes(client):
    codes = [client.get("/parcels/lookup?no=BG9999&code=ABCDEFGHJK").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_the_lock_is_kept_per_module(client):
    for _ in range(3):
        client.get("/parcels/lookup?no=BG0001&code=WRONGCODE9")
    assert client.get("/parcels/lookup?no=BG0001&code=ABCDEFGHJK").status_code == 429
    # the same number in another module is another case: its own counter
    assert throttle.find_by_code(client_request(), "letters", "BG0001", lambda key: key, lambda key: True) == "BG0001"


def client_request():
    return RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")


def test_no_module_counts_failed_lookups_by_hand():
    """Every lookup by code goes through the helper: no module calls the counting pieces itself."""
    offenders = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        if path.name == "throttle.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"check_lookup", "lookup_failed"}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
