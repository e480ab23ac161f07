"""``govsite demo`` shows 依申请公开 and 建议提案 in every state and the published annual report of
the last full year, whose tables reconcile."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from content_models.models import DisclosureDocument
from services.inforequests import report as annual
from services.inforequests.models import InfoRequest
from services.inforequests.outcomes import Outcome
from services.proposals.models import Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_SITE_DIR = tmp_path / "site"


def test_demo_has_every_state_and_the_last_years_report():
    out = io.StringIO()
    call_command("demo", "--no-server", "--no-build", "--docs", "40", stdout=out)
    assert set(InfoRequest.objects.values_list("status", flat=True)) == set(InfoRequest.Status.values)
    assert set(Outcome.values) <= set(InfoRequest.objects.values_list("outcome", flat=True))
    assert InfoRequest.objects.filter(extended_days__gt=0).exists()
    assert InfoRequest.objects.filter(events__action="transfer").exists()
    assert set(Proposal.objects.values_list("status", flat=True)) == set(Proposal.Status.values)
    year = timezone.localdate().year - 1
    report = DisclosureDocument.objects.get(source_id=f"annual-report-{year}-all", live=True, category="年度报告")
    assert str(report.body).count("<table") == 3 and report.attachments.count() == 1
    assert annual.compute(year).problems == []
    assert DisclosureDocument.objects.filter(category="建议提案办理", live=True).count() == 1
    # a second run adds nothing
    counts = (InfoRequest.objects.count(), Proposal.objects.count(), DisclosureDocument.objects.count())
    call_command("demo", "--no-server", "--no-build", "--docs", "40", stdout=io.StringIO())
    assert (InfoRequest.objects.count(), Proposal.objects.count(), DisclosureDocument.objects.count()) == counts
