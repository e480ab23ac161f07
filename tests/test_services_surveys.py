"""网上调查: a questionnaire with the four kinds of question, one answer per token, answers checked
against the questions, free text public only after moderation, results equal to a recount of the
stored answers on the API, the static pages (bars with the figures as text, no JavaScript) and the
CSV; e-mail verification through the notification interface."""

import csv
import datetime as dt
import io
import random
import re
from collections import Counter

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import Locale

from content_models.models import Department
from services.surveys.models import Answer, Question, Response, Survey, TextAnswer
from tests.helpers.services import build_service_pages, solve

pytestmark = pytest.mark.django_db
API = "/api/services/surveys"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture()
def dept():
    Locale.objects.get_or_create(language_code="zh-hans")
    return Department.objects.create(slug="jtj", name="南安市交通运输局", organ_code="113505830003", sort_order=1)


def make_survey(dept, **kw) -> Survey:
    today = timezone.localdate()
    fields = dict(title="公共交通出行调查", department=dept, start_date=today - dt.timedelta(days=2),
                  end_date=today + dt.timedelta(days=5))
    fields.update(kw)
    s = Survey.objects.create(**fields)
    Question.objects.create(survey=s, sort_order=0, kind="single", text="最常用的出行方式？", options="公交\n步行\n骑车")
    Question.objects.create(survey=s, sort_order=1, kind="multiple", text="希望改进哪些方面？",
                            options="班次\n线路\n站台\n票价")
    Question.objects.create(survey=s, sort_order=2, kind="scale", text="总体满意度", scale_max=5)
    Question.objects.create(survey=s, sort_order=3, kind="text", text="其他建议", required=False)
    return s


def answer(client, s: Survey, answers: list[dict], token: str | None = None, **extra):
    token = token or client.get(f"{API}/{s.number}/token").json()["token"]
    ch = client.get(f"{API}/challenge").json()
    body = {"token": token, "answers": answers, "challenge_token": ch["token"],
            "challenge_answer": solve(ch["question"]), **extra}
    return client.post(f"{API}/{s.number}/responses", body, content_type="application/json"), token


def random_answers(s: Survey, rng: random.Random) -> list[dict]:
    q = list(s.questions.all())
    out = [{"question": q[0].pk, "choice": rng.randrange(3)},
           {"question": q[1].pk, "choices": rng.sample(range(4), rng.randint(1, 4))},
           {"question": q[2].pk, "value": rng.randint(1, 5)}]
    if rng.random() < 0.5:
        out.append({"question": q[3].pk, "text": f"建议{rng.randint(1, 999)}：增加夜班车"})
    return out


def recount(s: Survey) -> dict:
    """Count the stored answers again, in Python, row by row."""
    q = list(s.questions.all())
    counts = {question.pk: Counter() for question in q}
    people = {question.pk: set() for question in q}
    for a in Answer.objects.filter(response__survey=s):
        counts[a.question_id][a.choice if a.choice is not None else a.value] += 1
        people[a.question_id].add(a.response_id)
    return {"total": Response.objects.filter(survey=s).count(), "counts": counts, "people": people}


def test_results_equal_a_recount_of_the_stored_answers(client, dept, tmp_path):
    s = make_survey(dept)
    rng = random.Random(3)
    for _i in range(40):
        r, _token = answer(client, s, random_answers(s, rng))
        assert r.status_code == 201, r.content
        cache.clear()  # the per-IP rate limit is not under test here
    texts = list(TextAnswer.objects.filter(response__survey=s).order_by("id"))
    assert texts, "some answers carry free text"
    assert {t.department_id for t in texts} == {dept.pk}  # moderated in the admin by the survey's department
    texts[0].status = TextAnswer.Status.APPROVED
    texts[0].public_text = "建议增加夜班车（已删去个人信息）"
    texts[0].save()
    texts[1].status = TextAnswer.Status.REJECTED
    texts[1].save()

    assert client.get(f"{API}/{s.number}/results").status_code == 404  # not before publication
    with pytest.raises(ValidationError):
        s.results_published = True
        s.full_clean()
    s.refresh_from_db()
    s.start_date, s.end_date = s.start_date - dt.timedelta(days=30), timezone.localdate() - dt.timedelta(days=1)
    s.results_published = True
    s.full_clean()
    s.save()
    assert client.get(f"{API}/{s.number}/token").status_code == 409

    got = client.get(f"{API}/{s.number}/results").json()
    expected = recount(s)
    assert got["total"] == expected["total"] == 40
    questions = list(s.questions.all())
    for q, result in zip(questions, got["questions"], strict=True):
        if q.kind == "text":
            assert result["texts"] == ["建议增加夜班车（已删去个人信息）"]
            assert result["received"] == len(texts)
            continue
        keys = range(1, 6) if q.kind == "scale" else range(len(q.option_list()))
        assert [o["count"] for o in result["options"]] == [expected["counts"][q.pk][k] for k in keys]
        assert result["respondents"] == len(expected["people"][q.pk])
        if q.kind == "scale":
            values = [a.value for a in Answer.objects.filter(question=q)]
            assert result["average"] == round(sum(values) / len(values), 2)

    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    page = (out / f"surveys/{s.number}/results/index.html").read_text("utf-8")
    article = page[page.index('<article class="survey-results">'):page.index("</article>")]
    assert "<script" not in article and "services/common" not in page  # the charts need no JavaScript
    single = got["questions"][0]
    for option in single["options"]:
        assert f"{option['count']} 人，{option['percent']}%" in page  # the figure as text, beside its bar
        assert f'style="width:{option["percent"]}%"' in page
    assert "建议增加夜班车（已删去个人信息）" in page
    rejected_text = texts[1].text
    assert rejected_text not in page and texts[2].text not in page  # rejected and unmoderated stay hidden
    assert f'href="/surveys/{s.number}/results.csv"' in page

    raw = (out / f"surveys/{s.number}/results.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1] == ["有效答卷", "40"]
    single_rows = [r for r in rows if r[0] == "1"]
    assert [int(r[4]) for r in single_rows] == [o["count"] for o in single["options"]]
    listing = (out / "surveys/index.html").read_text("utf-8")
    assert "已公布结果" in listing and f"/surveys/{s.number}/results/" in listing


def test_one_answer_per_token_and_answers_checked_against_the_questions(client, dept):
    s = make_survey(dept)
    q = list(s.questions.all())
    good = [{"question": q[0].pk, "choice": 1}, {"question": q[1].pk, "choices": [0, 2]},
            {"question": q[2].pk, "value": 4}]
    r, token = answer(client, s, good)
    assert r.status_code == 201, r.content
    again, _ = answer(client, s, good, token=token)
    assert again.status_code == 409 and "只能提交一次" in again.json()["message"]
    for wrong, message in [
        ([{"question": q[0].pk, "choice": 1}], "第 2 题为必答题"),
        ([*good[:2], {"question": q[2].pk, "value": 9}], "分值应在 1 到 5 之间"),
        ([{"question": q[0].pk, "choice": 7}, *good[1:]], "选项不存在"),
        ([good[0], {"question": q[1].pk, "choices": [1, 1]}, good[2]], "选项重复"),
        ([*good, {"question": 999999, "text": "x"}], "不属于本调查"),
    ]:
        bad, _ = answer(client, s, wrong)
        assert bad.status_code == 400 and message in bad.json()["message"], bad.content
    other = make_survey(dept, title="另一项调查")
    moved, _ = answer(client, other, [{"question": x.pk, "choice": 0} for x in other.questions.all()[:1]], token=token)
    assert moved.status_code == 400 and "不属于本调查" in moved.json()["message"]
    forged, _ = answer(client, s, good, token=token[:-4] + "abcd")
    assert forged.status_code == 400
    assert Response.objects.filter(survey=s).count() == 1


def test_closed_and_upcoming_surveys_take_no_answers(client, dept):
    today = timezone.localdate()
    closed = make_survey(dept, start_date=today - dt.timedelta(days=10), end_date=today - dt.timedelta(days=1))
    upcoming = make_survey(dept, start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=9))
    token = client.get(f"{API}/{closed.number}/token")
    assert token.status_code == 409 and "截止" in token.json()["message"]
    assert "尚未开始" in client.get(f"{API}/{upcoming.number}/token").json()["message"]
    assert client.get(f"{API}/DC-none/token").status_code == 404
    english = client.get(f"{API}/{closed.number}/token", HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert english == f"The survey closed on {closed.end_date} and takes no more answers"


def test_email_verification_allows_one_answer_per_address(client, dept, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.GOVSITE_NOTIFIERS = ["services.notify.EmailNotifier"]
    s = make_survey(dept, verification=Survey.Verification.EMAIL)
    q = list(s.questions.all())
    good = [{"question": q[0].pk, "choice": 0}, {"question": q[1].pk, "choices": [1]}, {"question": q[2].pk, "value": 3}]
    missing, _ = answer(client, s, good)
    assert missing.status_code == 400 and "验证码" in missing.json()["message"]

    def send_code(contact: str):
        ch = client.get(f"{API}/challenge").json()
        return client.post(f"{API}/{s.number}/verify", {"contact": contact, "challenge_token": ch["token"],
                                                         "challenge_answer": solve(ch["question"])},
                           content_type="application/json")

    assert send_code("not-an-address").status_code == 400
    assert send_code("citizen@example.org").status_code == 200
    code = re.search(r"验证码是 (\d{6})", mail.outbox[-1].body).group(1)
    wrong, _ = answer(client, s, good, contact="citizen@example.org", code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 400 and "验证码不正确" in wrong.json()["message"]
    ok, _ = answer(client, s, good, contact="Citizen@Example.org ", code=code)
    assert ok.status_code == 201, ok.content
    # a new browser (new token), the same address: refused, and no new code is sent
    again, _ = answer(client, s, good, contact="citizen@example.org", code=code)
    assert again.status_code == 409
    assert send_code("citizen@example.org").status_code == 409
    assert Response.objects.filter(survey=s).count() == 1
    assert "citizen@example.org" not in str(list(Response.objects.values_list("contact_hash", flat=True)))


def test_questions_cannot_change_once_answered(client, dept):
    s = make_survey(dept)
    q = list(s.questions.all())
    r, _ = answer(client, s, [{"question": q[0].pk, "choice": 0}, {"question": q[1].pk, "choices": [0]},
                              {"question": q[2].pk, "value": 2}])
    assert r.status_code == 201
    q[0].options = "地铁\n公交\n步行"
    with pytest.raises(ValidationError):
        q[0].full_clean()


def test_the_open_survey_page_has_the_form_with_every_kind_of_question(dept, tmp_path):
    s = make_survey(dept)
    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    page = (out / f"surveys/{s.number}/index.html").read_text("utf-8")
    assert 'data-action="respond"' in page
    assert page.count('type="radio"') == 3 + 5 and page.count('type="checkbox"') == 4 and "<textarea" in page
    assert not (out / f"surveys/{s.number}/results/index.html").exists()


def test_editors_open_the_questionnaire_and_moderators_the_texts_in_the_admin(admin_client, dept):
    s = make_survey(dept)
    assert admin_client.get("/admin/snippets/services_surveys/survey/add/").status_code == 200
    page = admin_client.get(f"/admin/snippets/services_surveys/survey/edit/{s.pk}/")
    assert page.status_code == 200 and "希望改进哪些方面？" in page.content.decode()
    assert admin_client.get("/admin/snippets/services_surveys/textanswer/").status_code == 200
