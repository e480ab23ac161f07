"""Citizen letters: submit, look up, route and answer in the admin, publish to the static site,
a bad rating reopens the case."""

import datetime as dt
from pathlib import Path

import jinja2
import pytest
from django.core.cache import cache

from services.letters.models import Letter
from services.plugin import ServicePagesPlugin
from tests.helpers.services import letter_payload, new_key

pytestmark = pytest.mark.django_db
THEME = Path(__file__).resolve().parent.parent / "themes" / "default" / "templates"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def submit(client, **overrides):
    c = client.get("/api/services/letters/challenge").json()
    r = client.post("/api/services/letters/", letter_payload(c, **overrides), content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 201, r.content
    return r.json()

plugin = ServicePagesPlugin()


class FakeBuild:
    """The build-plugin context of the preamble contract, rendering the real theme templates."""

    def __init__(self, tmp_path: Path, full: bool = True):
        self.out_dir = tmp_path / "site"
        self.state_dir = tmp_path / "state"
        self.full = full
        self.records, self.removed_ids = [], set()
        self.site = {"name": "中国·南安", "domain": "www.nanan.gov.cn", "base_url": "https://www.nanan.gov.cn",
                     "site_id_code": "3505830001"}
        self.written: list[str] = []
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(THEME)), autoescape=True)
        self.env.globals["asset_url"] = lambda name: f"/static/{name}"

    def render(self, template: str, context: dict) -> str:
        return self.env.get_template(template).render(site=self.site, **context)

    def write_file(self, rel: str, data: bytes) -> None:
        path = self.out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.written.append(rel)

    def asset_url(self, name: str) -> str:
        return f"/static/{name}"


def test_submit_gives_a_case_number_and_query_code_for_lookup(client):
    receipt = submit(client)
    assert receipt["number"].startswith("XJ") and len(receipt["query_code"]) == 6
    r = client.get("/api/services/letters/lookup", {"no": receipt["number"], "code": receipt["query_code"]})
    assert r.status_code == 200
    assert r.json()["status_label"] == "待登记" and r.json()["answer"] == ""
    assert client.get("/api/services/letters/lookup", {"no": receipt["number"], "code": "x"}).status_code == 404


def test_staff_route_and_answer_then_the_letter_is_public(client, admin_client, tmp_path, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr("services.letters.signals.enqueue_site_build", lambda reason: enqueued.append(reason))
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

    ctx = FakeBuild(tmp_path)
    plugin.on_render(ctx)
    plugin.on_live(ctx)
    listing = (ctx.out_dir / "letters/index.html").read_text()
    detail = (ctx.out_dir / f"letters/{letter.number}/index.html").read_text()
    stats = (ctx.out_dir / "letters/stats/index.html").read_text()
    assert letter.subject in listing and "住建局" in listing
    for label in ("受理日期", "答复日期", "答复部门", "答复内容"):
        assert label in detail
    assert "路灯已于本周修复" in detail and "许*华" in detail and "13800138000" not in detail
    assert "按期答复率" in stats and "100.0%" in stats
    assert (ctx.out_dir / "letters/write/index.html").exists() and (ctx.out_dir / "status/index.html").exists()

    # an incremental build with nothing changed writes nothing
    again = FakeBuild(tmp_path, full=False)
    plugin.on_render(again)
    assert again.written == []


def test_private_letters_never_reach_the_site(client, tmp_path):
    receipt = submit(client, public=False)
    Letter.objects.filter(number=receipt["number"]).update(status=Letter.Status.ROUTED, routed_department="教育局")
    letter = Letter.objects.get(number=receipt["number"])
    letter.answer = "已答复"
    letter.save()
    ctx = FakeBuild(tmp_path)
    plugin.on_render(ctx)
    assert not (ctx.out_dir / f"letters/{letter.number}/index.html").exists()
    assert letter.subject not in (ctx.out_dir / "letters/index.html").read_text()


def test_bad_rating_reopens_the_letter_and_takes_it_off_the_site(client, tmp_path):
    receipt = submit(client, public=True)
    letter = Letter.objects.get(number=receipt["number"])
    letter.routed_department = "住建局"
    letter.answer = "已处理。"
    letter.save()
    first = FakeBuild(tmp_path)
    plugin.on_render(first)
    plugin.on_live(first)
    assert "已处理。" in (first.out_dir / f"letters/{letter.number}/index.html").read_text()
    c = client.get("/api/services/ratings/challenge").json()
    from tests.helpers.services import solve

    r = client.post("/api/services/ratings/", {
        "module": "letters", "number": letter.number, "query_code": receipt["query_code"], "level": 1,
        "comment": "没有解决", "challenge_token": c["token"], "challenge_answer": solve(c["question"]),
    }, content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert r.status_code == 201, r.content
    assert r.json()["handling_label"] == "待核实"
    letter.refresh_from_db()
    assert letter.status == Letter.Status.REOPENED and letter.answer == "" and letter.reopen_count == 1
    assert "已处理。" in letter.earlier_answers
    ctx = FakeBuild(tmp_path, full=False)
    plugin.on_render(ctx)
    assert "不再公开" in (ctx.out_dir / f"letters/{letter.number}/index.html").read_text()


def test_build_enqueue_is_skipped_cleanly_without_the_site_generator_task(monkeypatch):
    import sys

    from services.letters.signals import enqueue_site_build

    monkeypatch.setitem(sys.modules, "cms.build.tasks", None)
    monkeypatch.setitem(sys.modules, "cms.build.jobs", None)
    assert enqueue_site_build("test") is False


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
        letter.save()
    assert DBTaskResult.objects.filter(backend_name="builds", task_path__startswith="cms.build.").exists()


def test_letters_pages_in_a_real_site_build(client, tmp_path):
    """The plugin inside engineer C's generator: full build, then an incremental one after an answer."""
    from cms.build.config import from_settings
    from cms.demo.sample import generate_sample
    from site_generator.build import build_site

    receipt = submit(client, public=True, subject="关于公交线路调整的建议")
    letter = Letter.objects.get(number=receipt["number"])
    letter.routed_department = "交通局"
    letter.answer = "已将您的建议转交公交公司研究。"
    letter.save()
    records = list(generate_sample(docs=30, seed=3))
    cfg = from_settings(plugins=[ServicePagesPlugin()], processes=1)
    out, state = tmp_path / "site", tmp_path / "state"
    build_site(records, out, full=True, config=cfg, state_dir=state)
    detail = (out / f"letters/{letter.number}/index.html").read_text()
    assert "已将您的建议转交公交公司研究" in detail and "交通局" in detail
    assert "<form" in detail and 'action="/search/"' in detail  # the theme's header wraps our page
    page = (out / "letters/write/index.html").read_text()
    assert 'data-svc="letters"' in page and "/static/services/letters." in page  # hashed widget script
    script = page.split("/static/services/letters.")[1].split('"')[0]
    assert (out / f"static/services/letters.{script}").exists()
