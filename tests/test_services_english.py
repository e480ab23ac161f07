"""English works too: the service modules' messages and admin labels have English translations,
chosen by the browser's language, and the catalogue has no untranslated or fuzzy entry left."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from cms.exchange.exporter import iter_document_records
from content_models.models import Department, DisclosureDocument
from services.consultations.models import Consultation
from services.consultations.public import document_links
from services.inforequests.models import InfoRequest
from services.models import CalendarYear
from services.proposals.models import Proposal
from services.status.models import Application
from services.supervision.models import Rule
from tests.test_inforequests import API, new_key, payload

CATALOGUE = Path(__file__).resolve().parent.parent / "services" / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_a_request_lookup_answers_in_the_browsers_language(client):
    cache.clear()
    miss = {"no": "YS2026120500000001", "code": "ABCDEFGHJK"}
    english = client.get(f"{API}/lookup", miss, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 404
    assert english.json()["message"] == "No such request; check the request number and the query code"
    chinese = client.get(f"{API}/lookup", miss, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.json()["message"] == "未找到该申请，请核对申请编号和查询码"


@pytest.mark.django_db
def test_a_bad_request_is_explained_in_english(client):
    cache.clear()
    Department.objects.create(slug="zrzy", name="自然资源局", sort_order=1)
    data = payload(client, applicant_type="business", credential_type="统一社会信用代码证", credential_no="123",
                   name="某某有限公司", representative="许文华")
    r = client.post(f"{API}/", json.dumps(data), content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key(),
                    HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code in (400, 422), r.content
    assert "unified social credit code has 18 characters" in r.content.decode()
    assert not InfoRequest.objects.exists()


def test_the_new_modules_labels_are_english():
    with translation.override("en"):
        assert str(InfoRequest._meta.verbose_name) == "Disclosure request"
        assert str(Proposal._meta.get_field("co_departments").verbose_name) == "Co-handling departments"
        assert str(CalendarYear._meta.verbose_name) == "Holidays"
        assert str(Application._meta.get_field("handling_department").verbose_name) == \
            "Handling department (department site)"
        assert str(Rule._meta.get_field("department").help_text) == "Filled in from the chosen department"


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry():
    text = CATALOGUE.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first is the header
    untranslated = [e for e in entries if re.search(r'^msgstr ""\n?$', e.strip(), re.M) and
                    not re.search(r'^msgstr ""\n"', e.strip(), re.M)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == [] and fuzzy == []


@pytest.mark.django_db
def test_a_consultations_links_back_follow_the_language_and_the_site_build_stays_chinese():
    dept = Department.objects.create(slug="zjj", name="住建局", organ_code="113505830002")
    draft = DisclosureDocument.objects.create(source_id="zjj-1", department=dept, organ=dept.name, title="绿地管理办法（征求意见稿）",
                                              body="<p>正文</p>", live=True, category="通知公告",
                                              published_at=timezone.now())
    today = dt.date.today()
    Consultation.objects.create(title="绿地管理办法征求意见", department=dept, draft_text="草案", draft_document=draft,
                                start_date=today - dt.timedelta(days=1), end_date=today + dt.timedelta(days=3))
    with translation.override("en"):
        english = document_links([draft.pk])[draft.pk][0]
        built = next(iter_document_records(DisclosureDocument.objects.filter(pk=draft.pk), expand=True))
    assert english["kind"] == "Public consultation"
    assert english["note"].endswith(f"{today - dt.timedelta(days=1):%Y-%m-%d} to {today + dt.timedelta(days=3):%Y-%m-%d}")
    assert built["related_links"][0]["kind"] == "意见征集" and " 至 " in built["related_links"][0]["note"]
