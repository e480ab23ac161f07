"""Admin isolation (issue 14, item 4): a department editor sees nothing of another department that
is not public, in any admin view or admin API. The test walks every admin URL pattern as that
editor, filling each URL argument with the other department's draft (its id, its key)."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

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
