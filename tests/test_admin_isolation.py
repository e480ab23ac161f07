"""Admin isolation (issue 14, item 4): a department editor sees nothing of another department that
is not public, in any admin view or admin API, and changes nothing of it. The tests walk every
admin URL pattern as that editor, filling each URL argument with the other department's draft (its
id, its key): every GET, and a POST to every edit/delete/publish/unpublish/move/copy URL with the
other department's draft, public document and file."""

import json
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from wagtail.documents.models import Document as WagtailDocument
from wagtail.models import Collection, Page, Revision, WorkflowState

from cms.admin.permissions import department_collection
from cms.models import Column, StandalonePage
from content_models.models import DisclosureDocument
from tests.test_cms_admin import _fast_password_hasher, make_world  # noqa: F401 - fixture

SECRET = "农业农村局未发布草稿：机密标题"


def text(response) -> str:
    """The body as a reader sees it (JSON answers, such as the choosers', with their escapes undone)."""
    if getattr(response, "streaming", False):
        return ""
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            return json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            return body
    return body


def admin_patterns():
    """(route, pattern) for every URL under /admin/, nested includes flattened."""
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and route.startswith(("admin/", "^admin/")):
                out.append(route)

    walk(get_resolver().url_patterns, "")
    return out


def fill(route: str, pk: int, key: str) -> str | None:
    """A concrete URL for ``route`` with every argument set to the draft's id (or key)."""
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<int:[^>]+>", str(pk), route)
    route = re.sub(r"<(?:str:|slug:|path:)?([^>]+)>", lambda m: str(pk) if "pk" in m.group(1) or "id" in m.group(1)
                   else key, route)
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", str(pk), route)
    if any(ch in route for ch in "()[]?*+\\"):
        return None  # a regex route we cannot fill
    return "/" + route


@pytest.mark.django_db
def test_every_admin_url_hides_another_departments_draft(client):
    world = make_world()
    draft = world["nyj_docs"][0]
    draft.title = SECRET
    draft.live = False
    draft.save()
    client.force_login(world["alice"])  # editor of 发改局 only
    checked = 0
    for route in admin_patterns():
        url = fill(route, draft.pk, "content_models.disclosuredocument")
        if url is None or "logout" in url:
            continue
        try:
            response = client.get(url, {"q": "机密"}, follow=False)
        except Exception:  # noqa: BLE001 - a view that fails for this argument shows nothing
            continue
        checked += 1
        body = text(response)
        assert SECRET not in body, url
        assert "机密标题" not in body, url
    assert checked > 100  # the walk really went through the admin


@pytest.mark.django_db
def test_the_chooser_lists_own_drafts_and_others_public_documents_only(client):
    world = make_world()
    other_draft = world["nyj_docs"][1]
    other_draft.title, other_draft.live = SECRET, False
    other_draft.save()
    own_draft = world["fgj_docs"][2]
    own_draft.title, own_draft.live = "发改局自己的草稿", False
    own_draft.save()
    client.force_login(world["alice"])
    html = text(client.get("/admin/snippets/choose/content_models/disclosuredocument/"))
    assert "发改局自己的草稿" in html and world["nyj_docs"][2].title in html  # another department's public one
    assert SECRET not in html


# --- writes: POST to every edit/delete/publish/unpublish/move/copy URL ------------------------------

WRITE_WORDS = ("edit", "delete", "publish", "unpublish", "move", "copy", "set_position", "revert", "lock",
               "unlock", "workflow", "remove")


def world_state() -> tuple:
    """Everything a write could change: documents, their revisions and locks, files, collections, pages."""
    return (
        list(DisclosureDocument.objects.order_by("pk").values()),
        list(Revision.objects.order_by("pk").values_list("pk", "object_id", "content_type_id")),
        list(WagtailDocument.objects.order_by("pk").values("pk", "title", "collection_id", "file")),
        list(Collection.objects.order_by("pk").values_list("pk", "path", "name")),
        list(Page.objects.order_by("pk").values_list("pk", "path", "title", "live", "locked", "latest_revision_id")),
        list(WorkflowState.objects.order_by("pk").values_list("pk", "status", "object_id")),
        list(Column.objects.order_by("pk").values()),
        list(StandalonePage.objects.order_by("pk").values()),
    )


@pytest.mark.django_db
def test_no_admin_post_changes_another_departments_objects(client):
    world = make_world()
    draft = world["nyj_docs"][0]
    draft.title, draft.live = SECRET, False
    draft.save()
    public = world["nyj_docs"][1]
    nyj_file = WagtailDocument.objects.create(title="农业农村局附件", collection=department_collection(world["nyj"]),
                                              file=ContentFile(b"%PDF-1.4 test", name="nyj.pdf"))
    # ids of the other department's objects, by the URLs that take them (a file's id may equal one
    # of 发改局's own documents: each kind of id goes only to the URLs of its kind)
    column = Column.objects.create(department=world["nyj"], name="农业农村局栏目")
    page = StandalonePage.objects.create(department=world["nyj"], column=column, slug="nyj-draft", title=SECRET,
                                         live=False)
    live_page = StandalonePage.objects.create(department=world["nyj"], column=column, slug="nyj-live", title="办事指南",
                                              live=True)
    targets = {"admin/documents/": {"附件": nyj_file.pk}, "admin/snippets/cms/column/": {"栏目": column.pk},
               "admin/snippets/cms/standalonepage/": {"单页草稿": page.pk, "已发布单页": live_page.pk}}
    documents = {"草稿": draft.pk, "已发布文件": public.pk}
    data = {"title": "被另一个部门篡改", "action-publish": "action-publish", "action-submit": "action-submit",
            "department": str(world["fgj"].pk), "organ": world["fgj"].name, "collection": str(Collection.get_first_root_node().pk),
            "confirm": "1", "next": "/admin/"}
    client.force_login(world["alice"])  # editor of 发改局 only
    before = world_state()
    posted = []
    for route in admin_patterns():
        if not any(word in route for word in WRITE_WORDS) or "<" not in route:
            continue
        kind = next((ids for prefix, ids in targets.items() if route.startswith(prefix)), documents)
        for name, pk in kind.items():
            url = fill(route, pk, "content_models.disclosuredocument")
            if url is None:
                continue
            try:
                response = client.post(url, data, follow=False)
            except Exception:  # noqa: BLE001 - a view that fails for this argument wrote nothing (checked below)
                response = None
            posted.append(url)
            assert response is None or response.status_code < 500 or response.status_code == 503, (name, url)
            assert world_state() == before, f"POST {url} ({name}) changed another department's data"
    assert len(posted) > 60  # the walk really posted to the admin's write URLs
    assert any("/snippets/content_models/disclosuredocument/edit/" in url for url in posted)
    assert any("/documents/delete/" in url for url in posted)
    assert any("/cms/standalonepage/unpublish/" in url for url in posted)
    draft.refresh_from_db()
    assert draft.title == SECRET and not draft.live


@pytest.mark.django_db
def test_the_same_posts_by_the_owning_department_do_change_its_document(client):
    """Control for the walk above: the same kind of POST by the document's own editor does change it."""
    world = make_world()
    own = world["nyj_docs"][2]
    assert own.live
    client.force_login(world["bob"])  # editor of 农业农村局
    client.post(f"/admin/snippets/content_models/disclosuredocument/unpublish/{own.pk}/", {"confirm": "1"})
    own.refresh_from_db()
    assert not own.live
