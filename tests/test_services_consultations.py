"""民意征集: a consultation from opening to its 采纳情况 report (a comment rejected with a reason,
one merged as a duplicate), a comment after the end refused, nothing public before moderation,
names masked, the pages on the static site linking draft, report and final policy both ways, and
the site refreshed at the moments a consultation opens and closes."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import Locale

from cms.admin import permissions
from cms.models import PendingChange
from cms.service_modules import document_link
from content_models.models import Department, DisclosureDocument
from services.consultations.models import Comment, Consultation
from services.module import run_periodic
from services.site import refresh_site_pages
from tests.helpers.services import build_service_pages, new_key, solve

pytestmark = pytest.mark.django_db
API = "/api/services/consultations"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture()
def dept():
    Locale.objects.get_or_create(language_code="zh-hans")
    return Department.objects.create(slug="zjj", name="南安市住房和城乡建设局", organ_code="113505830002", sort_order=1)


def document(dept, source_id: str, title: str) -> DisclosureDocument:
    return DisclosureDocument.objects.create(
        source_id=source_id, department=dept, organ=dept.name, title=title, body="<p>正文</p>", live=True,
        published_at=timezone.make_aware(dt.datetime(2026, 3, 1, 9, 0)), category="通知公告", topic="城乡建设")


def open_consultation(dept, draft, **kw) -> Consultation:
    today = timezone.localdate()
    fields = dict(title="关于《城市绿地管理办法（征求意见稿）》公开征求意见", department=dept, draft_document=draft,
                  start_date=today - dt.timedelta(days=3), end_date=today + dt.timedelta(days=10))
    fields.update(kw)
    c = Consultation(**fields)
    c.full_clean()
    c.save()
    return c


def post_comment(client, number: str, **overrides):
    ch = client.get(f"{API}/challenge").json()
    body = {"name": "许文华", "contact": "13800138000", "opinion": "建议在老旧小区增加口袋公园。",
            "challenge_token": ch["token"], "challenge_answer": solve(ch["question"])}
    body.update(overrides)
    return client.post(f"{API}/{number}/comments", body, content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=new_key())


def test_a_consultation_from_opening_to_its_feedback_report(client, dept, tmp_path):
    draft = document(dept, "zjj-draft", "城市绿地管理办法（征求意见稿）")
    final = document(dept, "zjj-final", "城市绿地管理办法")
    c = open_consultation(dept, draft)
    listed = client.get(f"{API}/").json()
    assert [(x["number"], x["state"], x["state_label"]) for x in listed] == [(c.number, "open", "征集中")]

    texts = ["建议在老旧小区增加口袋公园，方便老人散步。", "口袋公园很好，同意增加。", "广告：代办各类证件，电话 139xxxx。",
             "建议公布绿地养护单位的联系电话。"]
    receipts = []
    for text in texts:
        r = post_comment(client, c.number, opinion=text)
        assert r.status_code == 201, r.content
        receipts.append(r.json()["number"])
    assert len(set(receipts)) == 4 and all(n.startswith("YJ") for n in receipts)
    # nothing is public before moderation
    assert client.get(f"{API}/{c.number}").json()["comments"] == []

    first, dup, spam, other = (Comment.objects.get(number=n) for n in receipts)
    first.approve()
    other.approve()
    with pytest.raises(ValidationError) as err:
        spam.reject("")
    assert "不予采用时必须填写理由" in str(err.value)
    spam.reject("与征集内容无关")
    dup.merge_into(first)
    with pytest.raises(ValidationError):
        other.merge_into(other)

    shown = client.get(f"{API}/{c.number}").json()["comments"]
    assert [(m["name"], m["text"], m["merged"]) for m in shown] == [
        ("许*华", texts[0], 1), ("许*华", texts[3], 0)]
    assert "13800138000" not in client.get(f"{API}/{c.number}").content.decode()
    assert "adoption" not in shown[0] or shown[0]["adoption"] is None

    # the report cannot be published while the consultation is open, nor with undecided comments
    c.feedback_published = True
    with pytest.raises(ValidationError) as err:
        c.full_clean()
    assert "征集截止后才能发布采纳情况" in str(err.value)
    c.refresh_from_db()

    # the end passes: a comment is refused, with a message naming the date
    c.start_date, c.end_date = c.start_date - dt.timedelta(days=30), timezone.localdate() - dt.timedelta(days=1)
    c.save()
    late = post_comment(client, c.number, opinion="截止后提交的意见。")
    assert late.status_code == 409 and "截止" in late.json()["message"], late.content
    assert Comment.objects.filter(consultation=c).count() == 4

    c.feedback_published = True
    with pytest.raises(ValidationError) as err:
        c.full_clean()
    assert "未作采纳决定" in str(err.value)
    with pytest.raises(ValidationError):
        other.decide(Comment.Adoption.NOT_ADOPTED, "")  # a reason is required
    first.decide(Comment.Adoption.ADOPTED)
    other.decide(Comment.Adoption.NOT_ADOPTED, "养护单位电话已在各公园公示。")
    c.refresh_from_db()
    c.feedback_published, c.final_policy = True, final
    c.feedback_summary = "共收到意见 4 条，采纳 1 条，未采纳 1 条。"
    c.full_clean()
    c.save()
    assert c.feedback_date == timezone.localdate()

    report = client.get(f"{API}/{c.number}/feedback").json()
    assert report["counts"] == {"received": 4, "approved": 2, "rejected": 1, "merged": 1, "adopted": 1, "partly": 0,
                                "not_adopted": 1}
    assert report["rejected_reasons"] == [{"reason": "与征集内容无关", "count": 1}]
    assert [(m["adoption_label"], m["adoption_reason"]) for m in report["comments"]] == [
        ("采纳", ""), ("未采纳", "养护单位电话已在各公园公示。")]
    assert report["consultation"]["final_policy"] == document_link(final)
    assert report["consultation"]["state"] == "reported"

    # the static site: the list, the consultation page and the report link each other, the draft and the policy
    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    listing = (out / "consultations/index.html").read_text("utf-8")
    page = (out / f"consultations/{c.number}/index.html").read_text("utf-8")
    feedback = (out / f"consultations/{c.number}/feedback/index.html").read_text("utf-8")
    assert "已反馈" in listing and f"/consultations/{c.number}/feedback/" in listing
    assert f'href="/consultations/{c.number}/feedback/"' in page and 'data-action="comment"' not in page
    assert document_link(draft)["url"] in page and document_link(final)["url"] in page
    assert document_link(draft)["url"] in feedback and document_link(final)["url"] in feedback
    assert f'href="/consultations/{c.number}/"' in feedback
    assert "许*华" in feedback and "许文华" not in feedback and "13800138000" not in feedback
    assert "代办各类证件" not in feedback and "与征集内容无关" in feedback
    assert "<td>4</td><td>2</td><td>1</td><td>1</td><td>1</td><td>0</td><td>1</td>" in feedback


def test_the_open_page_has_the_form_and_other_states_refuse_comments(client, dept, tmp_path):
    draft = document(dept, "zjj-draft", "征求意见稿")
    today = timezone.localdate()
    opened = open_consultation(dept, draft)
    upcoming = open_consultation(dept, None, title="下月开始的征集", draft_text="草案正文",
                                 start_date=today + dt.timedelta(days=5), end_date=today + dt.timedelta(days=20))
    r = post_comment(client, upcoming.number)
    assert r.status_code == 409 and "尚未开始" in r.json()["message"]
    assert post_comment(client, "ZJ-nope").status_code == 404
    bad = post_comment(client, opened.number, opinion="短")
    assert bad.status_code == 422 and "意见内容" in bad.json()["message"]
    out = tmp_path / "site"
    build_service_pages(out, tmp_path / "state")
    page = (out / f"consultations/{opened.number}/index.html").read_text("utf-8")
    assert 'data-action="comment"' in page and "征集中" in page
    listing = (out / "consultations/index.html").read_text("utf-8")
    assert listing.index("征集中") < listing.index(opened.title) < listing.index("即将开始") < listing.index(upcoming.title)


def test_a_retry_with_the_same_key_stores_one_comment(client, dept):
    c = open_consultation(dept, document(dept, "zjj-draft", "征求意见稿"))
    ch = client.get(f"{API}/challenge").json()
    body = {"name": "李明", "opinion": "建议延长征集时间。", "challenge_token": ch["token"],
            "challenge_answer": solve(ch["question"])}
    key = new_key()
    first = client.post(f"{API}/{c.number}/comments", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(f"{API}/{c.number}/comments", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"] and Comment.objects.count() == 1


def test_a_draft_is_required_and_dates_must_be_in_order(dept):
    today = timezone.localdate()
    c = Consultation(title="无草案", department=dept, start_date=today, end_date=today - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as err:
        c.full_clean()
    assert set(err.value.message_dict) == {"end_date", "draft_document"}


def test_opening_and_closing_are_scheduled_on_the_build_queue(dept, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=False):
        c = open_consultation(dept, None, draft_text="草案", start_date=today + dt.timedelta(days=2),
                              end_date=today + dt.timedelta(days=9))
    scheduled = DBTaskResult.objects.filter(task_path="services.site.refresh_site_pages").order_by("run_after")
    tz = timezone.get_current_timezone()
    assert [timezone.localtime(t.run_after, tz) for t in scheduled] == [
        dt.datetime.combine(today + dt.timedelta(days=2), dt.time(), tzinfo=tz),
        dt.datetime.combine(today + dt.timedelta(days=10), dt.time(), tzinfo=tz)]
    assert not DBTaskResult.objects.ready().filter(task_path="services.site.refresh_site_pages").exists()
    # an edit that keeps the dates schedules nothing more; the due task asks for a pages build
    c.title = "改了标题"
    c.save()
    assert scheduled.count() == 2
    PendingChange.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        assert refresh_site_pages.call("consultation opens") is True
    assert PendingChange.objects.filter(kind=PendingChange.Kind.PAGES).count() == 1
    # the daily job is the backstop on the opening day
    assert any("意见征集" in line for line in run_periodic(today + dt.timedelta(days=2)))


def test_moderators_reject_and_merge_in_the_admin(admin_client, dept):
    c = open_consultation(dept, document(dept, "zjj-draft", "征求意见稿"))
    kept = Comment.objects.create(consultation=c, name="王建国", text="建议增加绿道。")
    kept.approve()
    dup = Comment.objects.create(consultation=c, name="张三", text="同意增加绿道。")
    assert admin_client.get("/admin/snippets/services_consultations/consultation/").status_code == 200
    assert admin_client.get(f"/admin/snippets/services_consultations/consultation/edit/{c.pk}/").status_code == 200
    url = f"/admin/snippets/services_consultations/comment/edit/{dup.pk}/"
    assert admin_client.get(url).status_code == 200
    form = {"status": "rejected", "public_text": "", "reject_reason": "", "merged_into": "", "adoption": "",
            "adoption_reason": ""}
    r = admin_client.post(url, form)
    assert r.status_code == 200 and "不予采用时必须填写理由" in r.content.decode()
    r = admin_client.post(url, {**form, "status": "merged", "merged_into": str(kept.pk)})
    assert r.status_code == 302, r.content.decode()[:3000]
    dup.refresh_from_db()
    assert dup.status == Comment.Status.MERGED and dup.merged_into == kept and dup.text == "同意增加绿道。"


def test_a_department_editor_sees_and_moderates_only_its_own_consultations(dept, client, django_user_model):
    other = Department.objects.create(slug="jyj", name="南安市教育局", organ_code="113505830009", sort_order=2)
    ours = open_consultation(dept, None, title="本部门的征集", draft_text="草案")
    theirs = open_consultation(other, None, title="别的部门的征集", draft_text="草案")
    ours_comment = Comment.objects.create(consultation=ours, name="甲", text="本部门收到的意见。")
    theirs_comment = Comment.objects.create(consultation=theirs, name="乙", text="别的部门收到的意见。")
    assert (ours_comment.department, theirs_comment.department) == (dept, other)
    group = permissions.ensure_department_group(dept)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="services_consultations"))
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("editor", password="x")
    user.groups.add(group)
    client.force_login(user)
    listing = client.get("/admin/snippets/services_consultations/consultation/").content.decode()
    assert "本部门的征集" in listing and "别的部门的征集" not in listing
    comments = client.get("/admin/snippets/services_consultations/comment/").content.decode()
    assert ours_comment.number in comments and theirs_comment.number not in comments
    assert client.get(f"/admin/snippets/services_consultations/consultation/edit/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/snippets/services_consultations/comment/edit/{theirs_comment.pk}/").status_code == 404
    today = timezone.localdate()
    form = {"title": "新征集", "summary": "", "start_date": str(today), "end_date": str(today + dt.timedelta(days=9)),
            "contact": "", "draft_document": "", "draft_file": "", "draft_text": "草案正文", "feedback_summary": "",
            "final_policy": ""}
    url = "/admin/snippets/services_consultations/consultation/add/"
    refused = client.post(url, {**form, "department": str(other.pk)})
    assert refused.status_code == 200 and not Consultation.objects.filter(title="新征集").exists()
    assert client.post(url, {**form, "department": str(dept.pk)}).status_code == 302
    assert Consultation.objects.get(title="新征集").department == dept
