"""好差评 (GB/T 39734-2020): five levels, once per case, bad ratings handled, defaults, statistics."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.management import call_command

from services.ratings.models import Rating
from services.ratings.workflow import apply_default_ratings
from services.status.models import Application
from tests.helpers.services import build_service_pages, new_key, solve

pytestmark = pytest.mark.django_db
URL = "/api/services/ratings/"


@pytest.fixture(autouse=True)
def fresh_cache(db):
    cache.clear()


def closed_app(number="XK9", department="市场监管局", item="食品经营许可", closed_on=None):
    app = Application.objects.create(number=number, applicant="李明", item=item, department=department,
                                     accepted_on=dt.date(2026, 11, 2), deadline_days=10,
                                     status=Application.Status.DONE, closed_on=closed_on or dt.date(2026, 11, 5))
    return app


def rate(client, app, level, key=None, **extra):
    c = client.get("/api/services/ratings/challenge").json()
    body = {"module": "status", "number": app.number, "query_code": app.query_code, "level": level, "comment": "",
            "challenge_token": c["token"], "challenge_answer": solve(c["question"]), **extra}
    return client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key or new_key())


def test_one_rating_per_case(client):
    app = closed_app()
    first = rate(client, app, 5)
    assert first.status_code == 201 and first.json()["level_label"] == "非常满意"
    second = rate(client, app, 1)
    assert second.status_code == 409 and "只能评价一次" in second.json()["message"]
    assert Rating.objects.count() == 1


def test_wrong_query_code_or_open_case_cannot_be_rated(client):
    app = closed_app()
    app.query_code = "111111"
    app.save()
    c = client.get("/api/services/ratings/challenge").json()
    r = client.post(URL, {"module": "status", "number": app.number, "query_code": "222222", "level": 5,
                          "challenge_token": c["token"], "challenge_answer": solve(c["question"])},
                    content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 404
    still_open = Application.objects.create(number="OPEN1", applicant="王五", item="x", department="y")
    assert rate(client, still_open, 5).status_code == 409


def test_level_out_of_range_is_a_chinese_field_error(client):
    r = rate(client, closed_app(), 7)
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].startswith("评价等级：")


def test_only_modules_whose_cases_are_rated_can_be_named(client):
    """The modules come from the installed case providers, not from a list in the ratings module."""
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["RatingIn"]
    rated = schema["properties"]["module"]["enum"]
    assert {"status", "letters"} <= set(rated) and "ratings" not in rated
    for module in ("ratings", "nosuch"):  # a bad rating's reply is not rated itself
        r = rate(client, closed_app(number=f"X-{module}"), 5, module=module)
        assert r.status_code == 422
        assert r.json()["errors"][0]["message"] == "业务类型：取值无效，可选：" + "、".join(rated)


def test_bad_rating_is_verified_rectified_answered_and_can_be_appealed(client):
    app = closed_app()
    r = rate(client, app, 2, comment="等待太久")
    assert r.status_code == 201
    rating = Rating.objects.get()
    assert rating.handling == Rating.Handling.VERIFYING and rating.reply_deadline is not None
    rating.verification = "情况属实"
    rating.save()
    assert rating.handling == Rating.Handling.RECTIFYING
    rating.rectification = "已调整窗口人员"
    rating.reply = "已整改，感谢监督。"
    rating.save()
    assert rating.handling == Rating.Handling.ANSWERED and rating.replied_on is not None
    c = client.get("/api/services/ratings/challenge").json()
    appeal = client.post("/api/services/ratings/appeal", {
        "module": "status", "number": app.number, "query_code": app.query_code, "comment": "整改不到位",
        "challenge_token": c["token"], "challenge_answer": solve(c["question"])}, content_type="application/json")
    assert appeal.status_code == 200 and appeal.json()["handling_label"] == "申诉中"
    seen = client.get("/api/services/ratings/rating",
                      {"module": "status", "number": app.number, "query_code": app.query_code}).json()
    assert seen["reply"] == "已整改，感谢监督。"


def test_unrated_cases_count_as_basic_satisfied_after_seven_days(capsys):
    closed_app("OLD", closed_on=dt.date(2026, 11, 2))
    closed_app("NEW", closed_on=dt.date(2026, 11, 20))
    assert apply_default_ratings(dt.date(2026, 11, 25)) == 1
    assert apply_default_ratings(dt.date(2026, 11, 25)) == 0
    r = Rating.objects.get()
    assert r.number == "OLD" and r.level == Rating.Level.BASIC and r.is_default
    call_command("supervise", today="2026-11-30")  # the daily job runs the default ratings too
    assert "默认为基本满意" in capsys.readouterr().out
    assert Rating.objects.filter(number="NEW").exists()


def test_statistics_per_department_and_item(client):
    rate(client, closed_app("A", "市场监管局", "食品经营许可"), 5)
    rate(client, closed_app("B", "市场监管局", "食品经营许可"), 1)
    rate(client, closed_app("C", "教育局", "教师资格认定"), 4)
    by_dept = {r["name"]: r for r in client.get("/api/services/ratings/stats", {"by": "department"}).json()}
    assert by_dept["市场监管局"]["total"] == 2 and by_dept["市场监管局"]["satisfaction_rate"] == 50.0
    assert by_dept["市场监管局"]["levels"]["非常不满意"] == 1
    by_item = {r["name"]: r for r in client.get("/api/services/ratings/stats", {"by": "item"}).json()}
    assert by_item["教师资格认定"]["satisfaction_rate"] == 100.0
    assert client.get("/api/services/ratings/stats", {"by": "nope"}).status_code == 422


def test_overdue_reply_to_a_bad_rating_gets_a_supervision_card(client):
    from services.supervision.checks import run_supervision
    from services.supervision.models import Card

    app = closed_app()
    assert rate(client, app, 1).status_code == 201
    rating = Rating.objects.get()
    run_supervision(rating.reply_deadline + dt.timedelta(days=3))
    card = Card.objects.get(module="ratings")
    assert card.level == "yellow" and card.number == f"status:{app.number}" and card.department == "市场监管局"
    rating.reply = "已整改。"
    rating.save()
    run_supervision(rating.reply_deadline + dt.timedelta(days=4))
    card.refresh_from_db()
    assert card.resolved_on is not None
    assert apply_default_ratings(dt.date(2027, 1, 1)) == 0  # rating replies are not rated themselves


def test_statistics_page_on_the_static_site(client, tmp_path):
    rate(client, closed_app("A", "市场监管局", "食品经营许可"), 5)
    rate(client, closed_app("B", "市场监管局", "食品经营许可"), 2)
    build_service_pages(tmp_path / "site", tmp_path / "state")
    html = (tmp_path / "site/ratings/stats/index.html").read_text()
    assert "好差评统计" in html and "市场监管局" in html and "食品经营许可" in html and "50.0%" in html
