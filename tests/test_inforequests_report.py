"""The annual report: a generated year of requests and documents whose tables reconcile with
counts made here independently; a broken row stops the publication; the published document has
real tables and a CSV."""

import csv
import datetime as dt
import io
import random
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.models import Locale

from content_models.models import Department, DisclosureDocument
from services.inforequests import report as annual
from services.inforequests.models import AnnualReport, InfoRequest
from services.inforequests.outcomes import REASONS, Outcome

pytestmark = pytest.mark.django_db
YEAR = 2025
TYPES = ["natural", "business", "research", "nonprofit", "legal", "other"]


@pytest.fixture
def year_of_requests():
    rng = random.Random(20)
    zrzy = Department.objects.create(slug="zrzy", name="自然资源局")
    jyj = Department.objects.create(slug="jyj", name="教育局")
    rows, truth = [], Counter()
    for i in range(600):
        dept = rng.choice([zrzy, jyj])
        kind = rng.choice(TYPES)
        received = dt.date(2024, 10, 1) + dt.timedelta(days=rng.randrange(0, 520))  # Oct 2024 – Mar 2026
        answered = received + dt.timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.85 else None
        outcome = rng.choice(list(Outcome.values)) if answered else ""
        reason = rng.choice(REASONS[outcome]) if outcome in REASONS else ""
        rows.append(InfoRequest(
            number=f"YS{i:08d}", department=dept, applicant_type=kind, name="申请人", credential_type="居民身份证",
            credential_no="x", phone="13800138000", description="所需信息", received_on=received,
            submitted_at=timezone.make_aware(dt.datetime.combine(received, dt.time(9))),
            status="answered" if answered else "accepted", answered_on=answered, outcome=outcome, reason=reason,
        ))
        if dept == zrzy:
            if received.year == YEAR:
                truth["new", kind] += 1
            if received.year < YEAR and (answered is None or answered.year >= YEAR):
                truth["carried", kind] += 1
            if answered and answered.year == YEAR:
                truth["handled", kind] += 1
                truth[outcome, reason] += 1
            if received.year <= YEAR and (answered is None or answered.year > YEAR):
                truth["forward", kind] += 1
    InfoRequest.objects.bulk_create(rows)
    locale = Locale.get_default()
    docs = [
        ("法规规章", dt.date(2025, 3, 1), "有效"), ("法规规章", dt.date(2019, 3, 1), "有效"),
        ("法规规章", dt.date(2018, 3, 1), "废止"), ("政策文件", dt.date(2025, 6, 1), "有效"),
        ("政策文件", dt.date(2025, 7, 1), "有效"), ("政策文件", dt.date(2020, 1, 1), "失效"),
        ("通知公告", dt.date(2025, 1, 1), "有效"),
    ]
    for n, (category, written, validity) in enumerate(docs):
        DisclosureDocument.objects.create(
            source_id=f"d{n}", locale=locale, department=zrzy, organ="自然资源局", title=f"文件{n}", category=category,
            written=written, validity=validity, live=True,
            published_at=timezone.make_aware(dt.datetime.combine(written, dt.time(9))))
    # repealed or expired during 2025 (the report counts the year of the last change)
    DisclosureDocument.objects.filter(validity__in=["废止", "失效"]).update(
        updated_at=timezone.make_aware(dt.datetime(2025, 5, 1, 9)))
    return zrzy, truth


def rows(table):
    return {label.strip(): values for label, values in table.rows}


def test_a_generated_year_reconciles_with_counts_made_independently(year_of_requests):
    zrzy, truth = year_of_requests
    report = annual.compute(YEAR, zrzy)
    assert report.problems == []
    r = rows(report.requests)
    for key, label in (("new", "一、本年新收政府信息公开申请数量"), ("carried", "二、上年结转政府信息公开申请数量"),
                       ("handled", "三、本年度办理结果（七）总计"), ("forward", "四、结转下年度继续办理")):
        assert r[label] == [truth[key, t] for t in TYPES] + [sum(truth[key, t] for t in TYPES)], label
    assert r["三、本年度办理结果（一）予以公开"][-1] == truth["disclosed", ""]
    assert r["三、本年度办理结果（三）不予公开"][-1] == sum(truth["withheld", x] for x in REASONS["withheld"])
    assert r["1．本机关不掌握相关政府信息"][-1] == truth["unavailable", "not_held"]
    assert r["2．重复申请"][-1] == truth["not_processed", "repeated"]
    assert sum(truth["new", t] for t in TYPES) > 50 and sum(truth["forward", t] for t in TYPES) > 5
    # documents: 规章 made 1 in 2025, 2 in force; 规范性文件 made 2, 2 in force
    assert rows(report.published) == {"规章": [1, 1, 2], "行政规范性文件": [2, 1, 2]}


def test_the_year_is_counted_on_local_days_at_its_edges(year_of_requests):
    """Without a 成文日期 or a confirmed receipt, the local (UTC+8) day of publication or submission
    decides the year: 2026-01-01 00:30 in China is still 2025-12-31 in UTC."""
    zrzy, _truth = year_of_requests
    locale = Locale.get_default()
    china = timezone.get_current_timezone()
    new_year = timezone.make_aware(dt.datetime(YEAR + 1, 1, 1, 0, 30), china)
    eve = timezone.make_aware(dt.datetime(YEAR, 12, 31, 23, 30), china)
    for n, at in enumerate((new_year, eve)):
        DisclosureDocument.objects.create(source_id=f"edge{n}", locale=locale, department=zrzy, organ="自然资源局",
                                          title=f"边界{n}", category="法规规章", written=None, validity="有效",
                                          live=True, published_at=at)
        InfoRequest.objects.create(number=f"YSEDGE{n}", department=zrzy, applicant_type=TYPES[0], name="申请人",
                                   credential_type="居民身份证", credential_no="x", phone="13800138000",
                                   description="所需信息", submitted_at=at)
    before = annual.compute(YEAR - 1, zrzy)  # nothing of the edges
    report = annual.compute(YEAR, zrzy)
    assert rows(report.published)["规章"] == [2, 1, 3]  # the eve's document: made and in force in the year
    assert rows(annual.compute(YEAR + 1, zrzy).published)["规章"][0] == 1  # the new year's, made the next year
    new = rows(report.requests)["一、本年新收政府信息公开申请数量"]
    assert new[0] == _truth["new", TYPES[0]] + 1  # the eve's request is the year's; the new year's is not
    assert report.problems == [] and before.problems == []


def test_a_row_that_does_not_add_up_stops_the_publication(year_of_requests):
    zrzy, _truth = year_of_requests
    bad = InfoRequest.objects.filter(department=zrzy, outcome="withheld", answered_on__year=YEAR).first()
    InfoRequest.objects.filter(pk=bad.pk).update(reason="petition")  # a 不予处理 reason on a 不予公开
    report = annual.compute(YEAR, zrzy)
    assert any("理由之和" in p for p in report.problems)
    with pytest.raises(CommandError, match="核对不通过"):
        call_command("annual_report", year=YEAR, department="zrzy")
    assert not DisclosureDocument.objects.filter(category="年度报告").exists()


def test_publish_makes_a_document_with_tables_and_a_csv(year_of_requests):
    zrzy, truth = year_of_requests
    AnnualReport.objects.create(year=YEAR, department=zrzy, overview="本年度认真贯彻《条例》。", review_maintained=2,
                                review_corrected=1, direct_pending=3)
    call_command("annual_report", year=YEAR, department="zrzy")
    doc = DisclosureDocument.objects.get(category="年度报告")
    assert doc.live and doc.title == "自然资源局2025年政府信息公开工作年度报告"
    body = str(doc.body)
    assert body.count("<table") == 3 and "<caption>三、收到和处理政府信息公开申请情况</caption>" in body
    assert "本年度认真贯彻《条例》。" in body
    attachment = doc.attachments.get()
    assert attachment.title.endswith(".csv") and attachment.sha256
    stored = settings.GOVSITE_FILES_DIR / attachment.sha256[:2] / attachment.sha256
    table = list(csv.reader(io.StringIO(stored.read_bytes().decode("utf-8-sig"))))
    new = next(r for r in table if r and r[0] == "一、本年新收政府信息公开申请数量")
    assert int(new[-1]) == sum(truth["new", t] for t in TYPES)
    review = next(r for r in table if r and r[0] == "行政复议")
    assert review[1:] == ["2", "1", "0", "0", "3"]
    # publishing again updates the same document
    call_command("annual_report", year=YEAR, department="zrzy")
    assert DisclosureDocument.objects.filter(category="年度报告").count() == 1


def test_bad_arguments_get_a_message():
    with pytest.raises(CommandError, match="年度"):
        call_command("annual_report", year=1990)
    with pytest.raises(CommandError, match="没有代号"):
        call_command("annual_report", year=YEAR, department="nowhere")
