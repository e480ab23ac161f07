"""互动交流 on the static site: consultations and surveys reach their lists and pages through the
build queue, change by themselves when the date passes (the refresh scheduled on the queue for the
closing moment, run by the build worker) and when results are published."""

import datetime as dt
import os

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from content_models.models import Department
from services.consultations.models import Consultation
from services.surveys.models import Question, Survey
from tests.helpers.wagtail import ensure_wagtail_roots, interaction_site
from tests.test_site_queue import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture()
def site_dir(settings, tmp_path):
    return interaction_site(settings, tmp_path)


def read(site_dir, rel: str) -> str:
    return (site_dir / rel).read_text("utf-8")


def test_lists_follow_opening_closing_and_published_results(site_dir):
    ensure_wagtail_roots()
    dept = Department.objects.create(slug="zjj", name="住建局", organ_code="113505830002")
    today = timezone.localdate()
    c = Consultation.objects.create(title="绿地管理办法征求意见", department=dept, draft_text="草案",
                                    start_date=today - dt.timedelta(days=1), end_date=today + dt.timedelta(days=3))
    s = Survey.objects.create(title="出行方式调查", department=dept, start_date=today - dt.timedelta(days=1),
                              end_date=today + dt.timedelta(days=3))
    Question.objects.create(survey=s, kind="single", text="出行方式？", options="公交\n步行")
    run_worker()
    assert "征集中" in read(site_dir, f"consultations/{c.number}/index.html")
    listing = read(site_dir, "consultations/index.html")
    assert listing.index("征集中") < listing.index(c.title) < listing.index("已结束")
    assert "进行中" in read(site_dir, f"surveys/{s.number}/index.html")
    release = os.readlink(site_dir)

    # the end passes (the dates as they will be then), and the closing refresh falls due
    closing = DBTaskResult.objects.filter(task_path="services.site.refresh_site_pages", run_after__gt=timezone.now())
    assert closing.count() == 2  # each closes in the future (both opened yesterday: nothing left to schedule)
    Consultation.objects.filter(pk=c.pk).update(start_date=today - dt.timedelta(days=5), end_date=today - dt.timedelta(days=1))
    Survey.objects.filter(pk=s.pk).update(start_date=today - dt.timedelta(days=5), end_date=today - dt.timedelta(days=1))
    closing.update(run_after=timezone.now())
    run_worker()
    run_worker()
    assert os.readlink(site_dir) != release
    page = read(site_dir, f"consultations/{c.number}/index.html")
    assert "已结束" in page and 'data-action="comment"' not in page
    listing = read(site_dir, "consultations/index.html")
    assert listing.index("已结束") < listing.index(c.title)
    assert 'data-action="respond"' not in read(site_dir, f"surveys/{s.number}/index.html")
    assert not (site_dir / f"surveys/{s.number}/results/index.html").exists()

    # the department publishes the results: the results page and the CSV appear
    s.refresh_from_db()
    s.results_published = True
    s.save()
    run_worker()
    assert "调查结果" in read(site_dir, f"surveys/{s.number}/results/index.html")
    assert (site_dir / f"surveys/{s.number}/results.csv").exists()
    assert f"/surveys/{s.number}/results/" in read(site_dir, "surveys/index.html")
