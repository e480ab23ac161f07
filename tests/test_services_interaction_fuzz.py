"""Fuzz the consultation and survey endpoints against an open consultation and an open survey
(the general fuzz test, ``test_services_fuzz.py``, mostly meets unknown numbers): valid and
invalid bodies reach the comment, verification and answer checks, and none gives a server error."""

import datetime as dt

import pytest
import schemathesis
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, settings
from wagtail.models import Locale

from cms.wsgi import application
from content_models.models import Department
from services.consultations.models import Consultation
from services.surveys.models import Question, Survey
from tests.test_services_fuzz import has_chinese_message, keep_the_test_transaction  # noqa: F401 - fixture

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex="^/api/services/(consultations|surveys)/")


@pytest.fixture()
def open_items():
    Locale.objects.get_or_create(language_code="zh-hans")
    dept, _ = Department.objects.get_or_create(slug="zjj", defaults={"name": "住建局", "organ_code": "113505830002"})
    today = timezone.localdate()
    c = Consultation.objects.create(title="征求意见", department=dept, draft_text="草案", start_date=today,
                                    end_date=today + dt.timedelta(days=3))
    s = Survey.objects.create(title="调查", department=dept, start_date=today, end_date=today + dt.timedelta(days=3),
                              verification=Survey.Verification.PHONE)
    for order, kind in enumerate(("single", "multiple", "scale", "text")):
        Question.objects.create(survey=s, sort_order=order, kind=kind, text=f"题目{order}", options="甲\n乙\n丙")
    return {"consultations": c.number, "surveys": s.number}


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_on_open_items(case, open_items):
    cache.clear()
    if case.path_parameters and "number" in case.path_parameters:
        module = case.path.split("/")[3]
        case.path_parameters = {**case.path_parameters, "number": open_items[module]}
    response = case.call()
    assert response.status_code < 500, response.text[:500]
    if 400 <= response.status_code < 500 and response.status_code != 405:
        assert has_chinese_message(response), (response.status_code, response.text[:300])
