"""The Wagtail admin as editors use it: department separation, Chinese search, forms, preview."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from cms.admin import permissions
from content_models.models import Attachment, Department, DisclosureDocument

PASSWORD = "test-pass-123"


def _when(year: int, month: int = 1, day: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 9, 0))


def make_world() -> dict:
    """Two departments with editors, a platform admin, a superuser and a handful of documents."""
    User = get_user_model()
    fgj = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001", sort_order=1)
    nyj = Department.objects.create(slug="nyj", name="南安市农业农村局", organ_code="113505830002", sort_order=2)
    fgj.refresh_from_db()
    nyj.refresh_from_db()
    permissions.setup_departments()

    alice = User.objects.create_user("alice", password=PASSWORD)
    alice.groups.add(fgj.editors)
    bob = User.objects.create_user("bob", password=PASSWORD)
    bob.groups.add(nyj.editors)
    carol = User.objects.create_user("carol", password=PASSWORD)
    carol.groups.add(Group.objects.get(name=permissions.PLATFORM_ADMINS_GROUP))
    root = User.objects.create_superuser("root", password=PASSWORD)

    def doc(dept, n, **kw):
        fields = dict(
            source_id=f"{dept.slug}-{n}",
            department=dept,
            organ=dept.name,
            title=f"{dept.name}文件{n}",
            published_at=_when(2023, 3, n % 27 + 1),
            category="通知公告",
            topic="综合政务",
            validity="有效",
            body="<p>正文</p>",
            live=True,
        )
        fields.update(kw)
        return DisclosureDocument.objects.create(**fields)

    policy = doc(
        fgj, 1,
        title="关于全面推进乡村振兴加快农业农村现代化的实施意见",
        doc_no="南政办〔2024〕12号",
        index_no="113505830001/2024-00012",
        category="政策文件",
        published_at=_when(2024, 2, 1),
    )
    interpretation = doc(fgj, 2, title="《关于全面推进乡村振兴的实施意见》政策解读", category="政策解读", interprets=policy)
    Attachment.objects.create(document=policy, title="附件1：重点任务清单", file="/files/a1.pdf", size_bytes=204800, file_type="pdf")
    fgj_docs = [policy, interpretation] + [doc(fgj, n) for n in range(3, 6)]
    nyj_docs = [
        doc(nyj, 1, title="南安市农业农村局关于乡村振兴示范村建设的通知", doc_no="南农〔2023〕5号"),
        *[doc(nyj, n) for n in range(2, 5)],
    ]
    return dict(
        fgj=fgj, nyj=nyj, alice=alice, bob=bob, carol=carol, root=root,
        policy=policy, interpretation=interpretation, fgj_docs=fgj_docs, nyj_docs=nyj_docs,
    )


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 costs ~0.3 s a user; these tests are about permissions, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return make_world()


def _url(name: str, *args) -> str:
    return reverse(f"wagtailsnippets_content_models_disclosuredocument:{name}", args=args)


def _login(client, user):
    client.force_login(user)
    return client


def _list_titles(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------------------
# Department separation
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_department_groups_are_created_for_new_departments():
    dept = Department.objects.create(slug="swj", name="南安市商务局")
    dept.refresh_from_db()
    assert dept.editors is not None and dept.editors.name == "南安市商务局编辑"
    codenames = set(dept.editors.permissions.values_list("codename", flat=True))
    assert {"access_admin", "add_disclosuredocument", "change_disclosuredocument", "publish_disclosuredocument"} <= codenames
    assert "delete_disclosuredocument" not in codenames


def test_editor_list_shows_only_own_department(client, world):
    html = _list_titles(_login(client, world["alice"]).get(_url("list")))
    assert world["policy"].title in html
    assert "南安市发展和改革局文件3" in html
    assert "南安市农业农村局" not in html.split("<tbody", 1)[1] if "<tbody" in html else True
    for d in world["nyj_docs"]:
        assert d.title not in html


def test_admin_and_platform_admins_see_all(client, world):
    for user in (world["root"], world["carol"]):
        client.force_login(user)
        html = _list_titles(client.get(_url("list")))
        assert world["policy"].title in html
        assert world["nyj_docs"][0].title in html


def test_editor_cannot_open_edit_delete_or_publish_other_department(client, world):
    _login(client, world["alice"])
    other = world["nyj_docs"][1]
    assert client.get(_url("edit", other.pk)).status_code in (403, 404)
    assert client.get(_url("delete", other.pk)).status_code in (403, 404)
    assert client.get(_url("history", other.pk)).status_code in (403, 404)
    assert client.get(_url("preview_on_edit", other.pk)).status_code in (403, 404)
    response = client.post(_url("unpublish", other.pk))
    assert response.status_code in (403, 404)
    response = client.post(
        _url("edit", other.pk),
        {"title": "篡改", "action-publish": "action-publish"},
    )
    assert response.status_code in (403, 404)
    other.refresh_from_db()
    assert other.title != "篡改" and other.live


def test_editor_can_edit_and_publish_own_department(client, world):
    _login(client, world["alice"])
    own = world["fgj_docs"][2]
    response = client.get(_url("edit", own.pk))
    assert response.status_code == 200
    data = _edit_form_data(own, title="南安市发展和改革局文件3（修订）")
    data["action-publish"] = "action-publish"
    response = client.post(_url("edit", own.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    own.refresh_from_db()
    assert own.title == "南安市发展和改革局文件3（修订）"
    assert own.live


def test_editor_create_is_limited_to_own_department(client, world):
    _login(client, world["alice"])
    response = client.get(_url("add"))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["department"].queryset) == [world["fgj"]]

    data = _new_form_data(world["nyj"], title="越权新建的文件")
    response = client.post(_url("add"), data)
    assert response.status_code == 200  # form shown again with an error
    assert not DisclosureDocument.objects.filter(title="越权新建的文件").exists()

    data = _new_form_data(world["fgj"], title="本部门新建的文件", organ="")
    response = client.post(_url("add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = DisclosureDocument.objects.get(title="本部门新建的文件")
    assert created.department == world["fgj"]
    assert created.source_id.startswith("cms-")
    assert created.organ == "南安市发展和改革局"  # blank organ: the department's name
    assert created.live is False  # saved as a draft


def test_editor_bulk_delete_of_other_department_is_refused(client, world):
    _login(client, world["bob"])
    target = world["fgj_docs"][3]
    url = reverse(
        "wagtail_bulk_action", args=("content_models", "disclosuredocument", "delete")
    ) + f"?id={target.pk}"
    client.post(url)
    assert DisclosureDocument.objects.filter(pk=target.pk).exists()


# ---------------------------------------------------------------------------
# Admin pages and Chinese search
# ---------------------------------------------------------------------------


def test_login_and_dashboard_in_chinese(client, world):
    response = client.post(reverse("wagtailadmin_login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert json.dumps("政务公开") in html  # our menu group (sidebar props are JSON)
    assert 'lang="zh-hans"' in html
    html = client.get(_url("list")).content.decode()
    for label in ("公开文件", "发文字号", "发布机构", "发布日期", "有效性"):
        assert label in html


@pytest.mark.parametrize(
    "query",
    [
        "乡村振兴", "加快农业农村现代化", "南政办〔2024〕12号", "南政办[2024]12号", "南政办（2024）12号",
        "南政办(2024)12号", "南政办【２０２４】１２号", "南政办202412号", "南政办[2024]", "113505830001/2024-00012",
    ],
)
def test_chinese_and_doc_no_search(client, world, query):
    _login(client, world["root"])
    html = _list_titles(client.get(_url("list"), {"q": query}))
    assert world["policy"].title in html
    assert "南安市发展和改革局文件3" not in html


@pytest.mark.parametrize(("stored", "typed"), [("国务院令第329号", "国令第329号"), ("国令第330号", "国务院令第330号")])
def test_doc_no_search_knows_short_organ_names(client, world, stored, typed):
    """The one list of short organ names (identifiers.ORGAN_SHORT_FORMS) also serves the admin's search."""
    DisclosureDocument.objects.filter(pk=world["policy"].pk).update(doc_no=stored)
    _login(client, world["root"])
    assert world["policy"].title in _list_titles(client.get(_url("list"), {"q": typed}))


def test_search_respects_department(client, world):
    _login(client, world["alice"])
    html = _list_titles(client.get(_url("list"), {"q": "乡村振兴"}))
    assert world["policy"].title in html
    assert world["nyj_docs"][0].title not in html


def test_listing_query_count_does_not_grow_with_rows(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _login(client, world["root"])
    client.get(_url("list"))  # warm caches (content types, locales)
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url("list")).status_code == 200
    for n in range(30):
        DisclosureDocument.objects.create(
            source_id=f"extra-{n}", department=world["nyj"], organ="x", title=f"额外文件{n}",
            published_at=_when(2025), live=True,
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url("list"))
    assert "额外文件29" in response.content.decode()
    assert len(many) == len(few) < 30, [q["sql"][:120] for q in many.captured_queries]


def test_edit_form_renders_and_saves_doc_no_normalized(client, world):
    _login(client, world["root"])
    doc = world["nyj_docs"][2]
    response = client.get(_url("edit", doc.pk))
    html = response.content.decode()
    for label in ("基本信息", "公开属性", "正文", "附件", "关联", "发文字号", "索引号"):
        assert label in html
    data = _edit_form_data(doc, doc_no="南农[2023]7号", keywords="乡村振兴、农业")
    data["action-publish"] = "action-publish"
    response = client.post(_url("edit", doc.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    doc.refresh_from_db()
    assert doc.doc_no == "南农〔2023〕7号"
    assert doc.keywords == ["乡村振兴", "农业"]


def test_invalid_doc_no_is_refused_with_chinese_message(client, world):
    _login(client, world["root"])
    doc = world["nyj_docs"][2]
    data = _edit_form_data(doc, doc_no="不是文号")
    data["action-publish"] = "action-publish"
    response = client.post(_url("edit", doc.pk), data)
    assert response.status_code == 200
    assert "发文字号格式不正确" in response.content.decode()


def test_preview_shows_metadata_and_interpretations(client, world):
    _login(client, world["alice"])
    policy = world["policy"]
    data = _edit_form_data(policy)
    response = client.post(_url("preview_on_edit", policy.pk), data)
    assert response.status_code == 200
    response = client.get(_url("preview_on_edit", policy.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "南政办〔2024〕12号" in html and "113505830001/2024-00012" in html
    assert "政策解读" in html and world["interpretation"].title in html
    assert "附件1：重点任务清单" in html and "PDF 200 KB" in html  # as the site shows it (content_models.files)


def test_editor_can_schedule_publication(client, world):
    _login(client, world["alice"])
    doc = world["fgj_docs"][3]
    data = _edit_form_data(doc, title="定时发布的修改", go_live_at="2031-01-01 09:00", expire_at="")
    data["action-publish"] = "action-publish"
    response = client.post(_url("edit", doc.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    doc.refresh_from_db()
    # An imported document (no revisions) stays published with its current text until then.
    assert doc.live and doc.title != "定时发布的修改"
    assert doc.scheduled_revision is not None
    assert doc.scheduled_revision.approved_go_live_at.year == 2031
    html = client.get(_url("list")).content.decode()
    assert "live + scheduled" in html or "已发布 + 已计划" in html or "计划" in html


def test_chooser_for_interpreted_policy_searches_chinese(client, world):
    _login(client, world["alice"])
    url = reverse("wagtailsnippetchoosers_content_models_disclosuredocument:choose_results")
    html = client.get(url, {"q": "南政办[2024]12号"}).content.decode()
    assert world["policy"].title in html
    assert "南安市发展和改革局文件3" not in html
    html = client.get(url, {"q": "乡村振兴示范村"}).content.decode()
    assert world["nyj_docs"][0].title in html


def test_editor_can_submit_for_moderation(client, world):
    _login(client, world["alice"])
    doc = world["fgj_docs"][4]
    data = _edit_form_data(doc, title="待审核的修改")
    data["action-submit"] = "action-submit"
    response = client.post(_url("edit", doc.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    doc.refresh_from_db()
    assert doc.workflow_in_progress
    assert doc.current_workflow_task.name == permissions.MODERATION_TASK


# ---------------------------------------------------------------------------
# Form data helpers
# ---------------------------------------------------------------------------


def _formset_management(prefix: str, total: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(total),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _rich(text: str) -> str:
    blocks = [{"key": "a1b2c", "type": "unstyled", "depth": 0, "text": text, "inlineStyleRanges": [], "entityRanges": []}]
    return json.dumps({"blocks": blocks, "entityMap": {}})


def _edit_form_data(doc: DisclosureDocument, **overrides) -> dict:
    attachments = list(doc.attachments.all())
    data = {
        "title": doc.title,
        "department": str(doc.department_id),
        "organ": doc.organ,
        "doc_no": doc.doc_no,
        "index_no": doc.index_no,
        "written": "",
        "published_at": timezone.localtime(doc.published_at).strftime("%Y-%m-%d %H:%M"),
        "category": doc.category,
        "topic": doc.topic,
        "validity": doc.validity,
        "keywords": " ".join(doc.keywords or []),
        "summary": doc.summary,
        "body": _rich("正文内容"),
        "interprets": str(doc.interprets_id or ""),
        "replaced_by": str(doc.replaced_by_id or ""),
        **_formset_management("attachments", len(attachments)),
    }
    for i, a in enumerate(attachments):
        data.update({
            f"attachments-{i}-id": str(a.pk), f"attachments-{i}-ORDER": str(i + 1),
            f"attachments-{i}-DELETE": "", f"attachments-{i}-title": a.title,
            f"attachments-{i}-file": a.file, f"attachments-{i}-file_type": a.file_type,
            f"attachments-{i}-size_bytes": str(a.size_bytes or ""), f"attachments-{i}-upload": "",
        })
    data.update(overrides)
    return data


def _new_form_data(dept: Department, **overrides) -> dict:
    data = {
        "title": "新文件",
        "department": str(dept.pk),
        "organ": dept.name,
        "doc_no": "",
        "index_no": "",
        "written": "2024-05-01",
        "published_at": "2024-05-02 10:00",
        "category": "通知公告",
        "topic": "综合政务",
        "validity": "有效",
        "keywords": "",
        "summary": "",
        "body": _rich("新文件正文"),
        "interprets": "",
        "replaced_by": "",
        **_formset_management("attachments"),
    }
    data.update(overrides)
    return data
