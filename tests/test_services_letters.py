"""Citizen letters: submit, look up, route and answer in the admin, publish to the static site,
a bad rating reopens the case."""

import datetime as dt

import pytest
from django.core.cache import cache

from cms.build.config import from_settings
from cms.build.jobs import page_sets
from cms.build.signals import service_pages_changed
from cms.demo.sample import generate_sample
from cms.models import PendingChange
from cms.service_modules import site_pages_changed
from services.letters.models import Letter
from services.site import request_site_refresh
from site_generator.build import build_site
from tests.helpers.services import build_service_pages, letter_payload, new_key, solve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(db):
    cache.clear()


def submit(client, **overrides):
    c = client.get("/api/services/letters/challenge").json()
    r = client.post("/api/services/letters/", letter_payload(c, **overrides), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 201, r.content
    return r.json()


def test_submit_gives_a_case_number_and_query_code_for_lookup(client):
    receipt = submit(client)
    assert receipt["number"].startswith("XJ") and len(receipt["query_code"]) == 10
    r = client.get("/api/services/letters/lookup", {"no": receipt["number"], "code": receipt["query_code"]})
    assert r.status_code == 200
    assert r.json()["status_label"] == "待登记" and r.json()["answer"] == ""
    assert client.get("/api/services/letters/lookup", {"no": receipt["number"], "code": "x"}).status_code == 404


def test_staff_route_and_answer_then_the_letter_is_public(client, admin_client, tmp_path, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr("services.letters.signals.request_site_refresh",
                        lambda reason, sender=None: enqueued.append(reason))
    receipt = submit(client, public=True)
    letter = Letter.objects.get(number=receipt["number"])
    letter.routed_department = "住建局"
    letter.save()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ROUTED and letter.routed_on is not None
    assert client.get("/api/services/letters/public").json()["count"] == 0
    assert enqueued == []

    # the department answers through the admin edit form
    url = f"/admin/snippets/services_letters/letter/edit/{letter.pk}/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = {
        "kind": "consult", "name": letter.name, "phone": letter.phone, "subject": letter.subject,
        "department": letter.department, "text": letter.text, "wants_public": "on",
        "accepted_on": str(letter.accepted_on), "routed_department": "住建局", "handler_contact": "",
        "deadline": str(letter.deadline), "status": letter.status, "answer": "路灯已于本周修复，由住建局负责维护。",
        "answer_department": "", "publish_approved": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(url, form)
    assert r.status_code in (200, 302), r.content.decode()[:2000]
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ANSWERED, letter.status
    assert letter.answered_on == dt.date.today() or letter.answered_on is not None
    assert letter.answer_department == "住建局"
    assert len(enqueued) == 1  # a build is asked for once the answer is committed

    public = client.get("/api/services/letters/public").json()
    assert public["count"] == 1 and public["items"][0]["name"] == "许*华"

    out, state = tmp_path / "site", tmp_path / "state"
    build_service_pages(out, state)
    listing = (out / "letters/index.html").read_text()
    detail = (out / f"letters/{letter.number}/index.html").read_text()
    stats = (out / "letters/stats/index.html").read_text()
    assert letter.subject in listing and "住建局" in listing
    for label in ("受理日期", "答复日期", "答复部门", "答复内容"):
        assert label in detail
    assert "路灯已于本周修复" in detail and "许*华" in detail and "13800138000" not in detail
    assert "按期答复率" in stats and "100.0%" in stats
    assert (out / "letters/write/index.html").exists() and (out / "status/index.html").exists()

    # an incremental build with nothing changed renders and writes nothing
    again = build_service_pages(out, state, full=False)
    assert again.pages_rendered == 0 and again.files_written == 0


def test_private_letters_never_reach_the_site(client, tmp_path):
    receipt = submit(client, public=False)
    Letter.objects.filter(number=receipt["number"]).update(status=Letter.Status.ROUTED, routed_department="教育局")
    letter = Letter.objects.get(number=receipt["number"])
    letter.answer = "已答复"
    letter.save()
    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    assert not (out / f"letters/{letter.number}/index.html").exists()
    assert letter.subject not in (out / "letters/index.html").read_text()


def test_bad_rating_reopens_the_letter_and_takes_it_off_the_site(client, tmp_path):
    receipt = submit(client, public=True)
    letter = Letter.objects.get(number=receipt["number"])
    letter.routed_department = "住建局"
    letter.answer = "已处理。"
    letter.publish_approved = True  # staff reviewed it
    letter.save()
    out, state = tmp_path / "site", tmp_path / "state"
    build_service_pages(out, state)
    assert "已处理。" in (out / f"letters/{letter.number}/index.html").read_text()
    c = client.get("/api/services/ratings/challenge").json()
    r = client.post("/api/services/ratings/", {
        "module": "letters", "number": letter.number, "query_code": receipt["query_code"], "level": 1,
        "comment": "没有解决", "challenge_token": c["token"], "challenge_answer": solve(c["question"]),
    }, content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 201, r.content
    assert r.json()["handling_label"] == "待核实"
    letter.refresh_from_db()
    assert letter.status == Letter.Status.REOPENED and letter.answer == "" and letter.reopen_count == 1
    assert "已处理。" in letter.earlier_answers
    result = build_service_pages(out, state, full=False)
    assert "不再公开" in (out / f"letters/{letter.number}/index.html").read_text()
    assert f"letters/{letter.number}/index.html" in result.changed_paths


def test_a_refresh_request_is_a_no_op_without_service_pages_or_without_a_listener(settings):
    settings.GOVSITE_SERVICE_PAGES = False  # the site has no service pages: nothing to build
    assert request_site_refresh("test") is False
    assert not PendingChange.objects.exists()
    settings.GOVSITE_SERVICE_PAGES = True
    assert site_pages_changed.disconnect(dispatch_uid="govsite_site_pages_changed")  # no CMS listening
    try:
        assert request_site_refresh("test") is False
    finally:
        site_pages_changed.connect(service_pages_changed, dispatch_uid="govsite_site_pages_changed")
    assert not PendingChange.objects.exists()
    assert request_site_refresh("test") is True and PendingChange.objects.get().kind == "pages"


def test_answering_a_public_letter_enqueues_a_site_build(client, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    receipt = submit(client, public=True)
    letter = Letter.objects.get(number=receipt["number"])
    before = DBTaskResult.objects.filter(backend_name="builds").count()
    with django_capture_on_commit_callbacks(execute=True):
        letter.routed_department = "住建局"
        letter.save()
    assert DBTaskResult.objects.filter(backend_name="builds").count() == before  # not public yet
    with django_capture_on_commit_callbacks(execute=True):
        letter.answer = "已答复。"
        letter.publish_approved = True  # answered and reviewed in one save of the edit form
        letter.save()
    assert DBTaskResult.objects.filter(backend_name="builds", task_path__startswith="cms.build.").exists()


def test_letters_pages_in_a_real_site_build(client, tmp_path):
    """The letters' pages in a full site build with documents."""
    receipt = submit(client, public=True, subject="关于公交线路调整的建议")
    letter = Letter.objects.get(number=receipt["number"])
    letter.routed_department = "交通局"
    letter.answer = "已将您的建议转交公交公司研究。"
    letter.publish_approved = True
    letter.save()
    records = list(generate_sample(docs=30, seed=3))
    cfg = from_settings(plugins=[], processes=1)
    out, state = tmp_path / "site", tmp_path / "state"
    build_site(records, out, full=True, config=cfg, state_dir=state, page_sets=page_sets())
    detail = (out / f"letters/{letter.number}/index.html").read_text()
    assert "已将您的建议转交公交公司研究" in detail and "交通局" in detail
    assert "<form" in detail and 'action="/search/"' in detail  # the theme's header wraps our page
    page = (out / "letters/write/index.html").read_text()
    assert 'data-svc="letters"' in page and "/static/services/letters." in page  # hashed widget script
    script = page.split("/static/services/letters.")[1].split('"')[0]
    assert (out / f"static/services/letters.{script}").exists()
