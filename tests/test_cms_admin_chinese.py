"""The admin is entirely in Chinese for an editor: a walk through the pages an editor uses (login,
dashboard, documents, columns, standalone pages, history, account, messages after saving,
an empty search, the API documentation) finds no English UI string."""

from __future__ import annotations

import json
import re

import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from tests.test_cms_admin import _edit_form_data, _fast_password_hasher, _url, make_world  # noqa: F401

# Words that are not UI language: file formats, names of things, the editor's own data.
# "English" is the language picker's entry for English, named in its own language like 简体中文.
ALLOWED = {"CSV", "XLSX", "API", "URL", "PDF", "RSS", "JSON", "HTML", "ICP", "alice", "gkzn", "English"}
ENGLISH = re.compile(r"[A-Za-z][A-Za-z’']{2,}(?:\s+[A-Za-z][A-Za-z’']+)*")


def _labels(value) -> list[str]:
    if isinstance(value, dict):
        out = [str(value["label"])] if "label" in value else []
        return out + [x for v in value.values() for x in _labels(v)]
    if isinstance(value, list):
        return [x for v in value for x in _labels(v)]
    return []


def visible_strings(html: str) -> list[str]:
    doc = lxml.html.document_fromstring(html)
    texts = []
    for props in doc.xpath("//script[@id='wagtail-sidebar-props']"):
        texts += _labels(json.loads(props.text))
    # scripts, styles, iframe fallbacks and field values (textareas, the time-zone list) are not UI language
    for el in doc.xpath("//script|//style|//noscript|//template|//code|//pre|//textarea|//iframe"
                        "|//select[contains(@name,'time_zone')]"):
        el.drop_tree()
    texts += [t for t in doc.xpath("//body//text()")]
    for attr in ("title", "placeholder", "aria-label", "alt"):
        texts += doc.xpath(f"//body//@{attr}")
    texts += doc.xpath("//body//input[@type='submit' or @type='button']/@value")
    return texts


def english_in(html: str) -> set[str]:
    found = set()
    for text in visible_strings(html):
        for words in ENGLISH.findall(text):
            rest = [w for w in words.split() if w not in ALLOWED]
            if rest:
                found.add(" ".join(rest))
    return found


@pytest.fixture
def world(db):
    return make_world()


def test_an_editor_meets_no_english_in_the_admin(client: Client, world):
    anonymous = Client()
    pages = {"login": anonymous.get(reverse("wagtailadmin_login")).content.decode()}
    client.force_login(world["alice"])
    doc = world["fgj_docs"][2]
    urls = {
        "dashboard": reverse("wagtailadmin_home"),
        "documents": _url("list"),
        "empty search": _url("list") + "?q=不存在的标题zzz",
        "new document": _url("add"),
        "edit document": _url("edit", doc.pk),
        "history": _url("history", doc.pk),
        "columns": reverse("wagtailsnippets_cms_column:list"),
        "new column": reverse("wagtailsnippets_cms_column:add"),
        "pages": reverse("wagtailsnippets_cms_standalonepage:list"),
        "new page": reverse("wagtailsnippets_cms_standalonepage:add"),
        "account": reverse("wagtailadmin_account"),
    }
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.content.decode()
    data = _edit_form_data(doc, title="修改后的标题")
    data["action-publish"] = "action-publish"
    pages["message after publishing"] = client.post(_url("edit", doc.pk), data, follow=True).content.decode()
    pages["api docs"] = client.get("/api/openapi.json").content.decode()
    problems = {}
    for name, html in pages.items():
        if name == "api docs":
            spec = json.loads(html)
            english = {t["name"] for t in spec.get("tags", []) if ENGLISH.fullmatch(t["name"])}
            english |= {tag for path in spec["paths"].values() for op in path.values()
                        for tag in op.get("tags", []) if ENGLISH.fullmatch(tag)}
        else:
            english = english_in(html)
        if english:
            problems[name] = sorted(english)
    assert not problems, problems
