"""The editors' columns and standalone pages as the build's plain data.

``columns()`` gives ``BuildConfig.columns`` (the tree; an incremental build compares it with the
one the live site was built with and rewrites the menu files and the pages whose column tags
changed, ADR 0135); ``standalone_page_set()`` gives the standalone pages as a page set versioned by
their live revision and what they show of their column, so publishing one page rewrites that page
only; their bodies are expanded like
documents' (``cms.richtext``: links, images, files).
"""

from __future__ import annotations

import hashlib

from django.db import DatabaseError

from cms.models import Column, StandalonePage
from cms.richtext import Expander, has_references
from content_models.sanitizer import public_html
from site_generator import docinfo
from site_generator.pages import PageSet, PageSpec

PAGE_SET = "cms-pages"
TEMPLATE = "standalone.html"


def column_url(column: Column, first_page: dict[int, str]) -> str:
    """Where a column leads: its link, its category's list, its first live page, else its first child."""
    site = column.department.slug if column.department_id else ""
    if column.link:
        return column.link
    if column.category:
        slug = docinfo.category_slug(column.category)
        return f"/{site}/{slug}/" if site else f"/category/{slug}/"
    return first_page.get(column.pk, "")


def columns() -> list[dict]:
    """The column tree (``site_generator.columns`` format) of the portal and every department."""
    try:
        rows = list(Column.objects.select_related("department").order_by("sort_order", "pk"))
        pages = list(StandalonePage.objects.filter(live=True, column__isnull=False)
                     .select_related("department").order_by("sort_order", "pk"))
    except DatabaseError:  # not migrated yet
        return []
    first_page: dict[int, str] = {}
    for page in pages:
        first_page.setdefault(page.column_id, page.url)
    nodes = {
        c.pk: {"site": c.department.slug if c.department_id else "", "name": c.name, "type": c.column_type,
               "description": c.description, "keywords": c.keywords, "url": column_url(c, first_page),
               "category": c.category, "nav": c.in_nav, "children": []}
        for c in rows
    }
    tree = []
    for c in rows:
        (nodes[c.parent_id]["children"] if c.parent_id in nodes else tree).append(nodes[c.pk])
    for node in _walk(tree):
        if not node["url"] and node["children"]:
            node["url"] = next((k["url"] for k in node["children"] if k["url"]), "")
    return tree


def _walk(nodes):
    for node in nodes:
        yield from _walk(node["children"])
        yield node


def _page_context(page: StandalonePage, body: str):
    def context() -> dict:
        column = page.column
        site = page.department.slug if page.department_id else ""
        crumbs = []
        if page.department_id:
            crumbs.append({"name": page.department.name, "url": f"/{site}/"})
        if column is not None:
            crumbs.append({"name": column.name, "url": ""})
        return {
            "page": {"title": page.title, "body": public_html(body), "crumbs": crumbs,
                     "updated": page.last_published_at.strftime("%Y-%m-%d") if page.last_published_at else ""},
            "meta": {"title": page.title, "article_title": page.title, "column": column.name if column else page.title,
                     "column_type": column.column_type if column else "", "column_description":
                     column.description if column else "", "column_keywords": column.keywords if column else "",
                     "description": page.title, "keywords": page.title, "content_source":
                     page.department.name if page.department_id else "",
                     "author": page.department.name if page.department_id else "",
                     "pub_date": page.last_published_at.strftime("%Y-%m-%d %H:%M") if page.last_published_at else ""},
            "site_slug": site,
        }
    return context


def standalone_page_set() -> list[PageSet]:
    """The live standalone pages, each versioned by its live revision (and address and column)."""
    try:
        pages = list(StandalonePage.objects.filter(live=True).select_related("department", "column"))
    except DatabaseError:
        return []
    specs = []
    expander = None
    for page in pages:
        path = page.url.lstrip("/") + "index.html"
        column = page.column
        shown = [column.name, column.column_type, column.description, column.keywords] if column else []
        version = f"{page.live_revision_id}:{page.column_id}:{page.department_id}:{'|'.join(shown)}"
        body, files = page.body or "", []
        if has_references(body):
            # the editor's links and images, as the public reads them now: the version follows
            # them, so a linked page withdrawn since turns the link into words (ADR 0104)
            expander = expander or Expander()
            body, files = expander.expand(body)
            version += ":" + hashlib.blake2b(body.encode(), digest_size=8).hexdigest()
        specs.append(PageSpec(path, TEMPLATE, _page_context(page, body), version=version, files=tuple(files)))
    return [PageSet(PAGE_SET, specs)]
