"""``govsite demo`` shows 互动交流 complete: an open consultation and survey, and a closed one of each
with its published results, on the built site; a second run adds nothing."""

import io

import pytest
from django.core.management import call_command

from cms.service_modules import document_link
from services.consultations.models import Consultation, State
from services.surveys.models import Survey


@pytest.mark.django_db
def test_demo_opens_a_consultation_and_a_survey_and_shows_closed_ones_with_results(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_SITE_DIR = site = tmp_path / "site"
    settings.GOVSITE_BUILD_PLUGINS = []
    out = io.StringIO()
    call_command("demo", "--no-server", "--docs", "60", stdout=out)
    assert "意见征集：已创建" in out.getvalue() and "网上调查：已创建" in out.getvalue()
    states = sorted(c.state().value for c in Consultation.objects.all())
    assert states == [State.OPEN.value, State.REPORTED.value]
    assert sorted(s.state().value for s in Survey.objects.all()) == ["open", "published"]

    reported = next(c for c in Consultation.objects.all() if c.feedback_published)
    feedback = (site / f"consultations/{reported.number}/feedback/index.html").read_text("utf-8")
    assert "意见采纳情况" in feedback and "部分采纳" in feedback and "与征集内容无关" in feedback
    opened = Consultation.objects.exclude(pk=reported.pk).get()
    assert 'data-action="comment"' in (site / f"consultations/{opened.number}/index.html").read_text("utf-8")
    # the drafts' own pages link back to their consultations, the final policy's to the report
    draft = (site / document_link(opened.draft_document)["url"].lstrip("/")).read_text("utf-8")
    assert f'href="/consultations/{opened.number}/"' in draft
    assert f'href="/consultations/{reported.number}/feedback/"' in draft  # also the closed one's final policy
    published = Survey.objects.get(results_published=True)
    results = (site / f"surveys/{published.number}/results/index.html").read_text("utf-8")
    assert "有效答卷 <strong>120</strong> 份" in results
    assert (site / f"surveys/{published.number}/results.csv").exists()
    open_survey = Survey.objects.get(results_published=False)
    assert 'data-action="respond"' in (site / f"surveys/{open_survey.number}/index.html").read_text("utf-8")

    call_command("demo", "--no-server", "--no-build", stdout=io.StringIO())
    assert Consultation.objects.count() == 2 and Survey.objects.count() == 2
