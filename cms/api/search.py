"""``/api/search``: the same queries as the static search page, answered from the same index files.

``GET /api/search?q=&organ=&category=&topic=&year=&validity=&sort=&page=`` returns JSON;
``GET /api/search/html?...`` returns the search page with the results rendered on the server
(the theme's own search page, filled in here), for browsers without JavaScript (the search
page's form points there). The index is the live site's (``settings.GOVSITE_SITE_DIR``).
"""

from __future__ import annotations

import functools
import html
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query as QueryParams
from ninja import Router, Schema

from cms.build.config import from_settings
from search_index.query import IndexMissing, Query, Result, get_index, search
from site_generator.render import Renderer

log = logging.getLogger(__name__)

router = Router(tags=["站内搜索"])


class SearchParams(Schema):
    q: str = ""
    organ: str = ""
    category: str = ""
    topic: str = ""
    year: str = ""
    validity: str = ""
    sort: str = "relevance"
    # Strings, read leniently: a hand-edited ?page=abc gives page 1, never a validation error.
    page: str = "1"
    size: str = "10"


class Hit(Schema):
    id: str
    title: str
    title_html: str
    url: str
    published: str
    organ: str
    category: str
    topic: str
    doc_no: str
    doc_no_html: str
    validity: str
    snippet: str


class SearchOut(Schema):
    total: int
    total_exact: bool
    page: int
    pages: int
    has_next: bool
    results: list[Hit]
    message: str
    suggestions: list[str]


class ErrorOut(Schema):
    message: str


def _int(text: str, default: int) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        return default


def _query(params: SearchParams) -> Query:
    data = params.dict()
    data["page"] = _int(data["page"], 1)
    data["size"] = _int(data["size"], 10)
    return Query(**data)


def _run(params: SearchParams):
    query = _query(params)
    return query, search(query, settings.GOVSITE_SITE_DIR)


@router.get("", response={200: SearchOut, 503: ErrorOut}, url_name="search")
@router.get("/", response={200: SearchOut, 503: ErrorOut}, url_name="search_slash", include_in_schema=False)
def search_json(request: HttpRequest, params: QueryParams[SearchParams]):
    """全文检索：标题、文号、索引号、正文；可按部门、类别、主题、年份、有效性筛选。"""
    try:
        _query, result = _run(params)
    except IndexMissing as exc:
        return 503, {"message": str(exc)}
    return 200, result.as_dict()


@router.get("/html", include_in_schema=False, url_name="search_html")
def search_html(request: HttpRequest, params: QueryParams[SearchParams]):
    """The search page with server-rendered results (no JavaScript needed)."""
    try:
        query, result = _run(params)
    except IndexMissing as exc:
        query, result = _query(params), None
        return HttpResponse(render_results_page(query, None, error=str(exc)), status=503,
                            content_type="text/html; charset=utf-8")
    return HttpResponse(render_results_page(query, result), content_type="text/html; charset=utf-8")


# -- the server-rendered results page ------------------------------------------------------


@functools.cache
def _renderer():
    cfg = from_settings()
    return Renderer(cfg, cfg.departments)


def page_url(query: Query, page: int) -> str:
    params = {k: v for k, v in {**query.filters(), "q": query.q, "sort": query.sort}.items() if v}
    params["page"] = page
    return "/api/search/html?" + urlencode(params)


def facets() -> dict:
    try:
        index = get_index(settings.GOVSITE_SITE_DIR)
        return index._load_manifest().get("facets", {})
    except Exception:  # no index yet: the page still renders, with empty filter lists
        return {}


def render_results_page(query: Query, result: Result | None, *, error: str = "") -> str:
    context = {
        "server": {
            "query": query,
            "result": result,
            "error": error,
            "facets": facets(),
            "prev_url": page_url(query, result.page - 1) if result and result.page > 1 else None,
            "next_url": page_url(query, result.page + 1) if result and result.has_next else None,
        },
        "meta": {"title": f"{query.q} - 搜索结果" if query.q else "搜索"},
    }
    try:
        return _renderer().render_page("pages/search.html", context).decode("utf-8")
    except Exception:  # the theme cannot render here: a plain page still shows the results
        log.exception("search page template failed; using the plain fallback")
        return _plain_page(query, result, error)


def _plain_page(query: Query, result: Result | None, error: str) -> str:
    rows = []
    if result:
        for r in result.results:
            rows.append(f'<li><a href="{html.escape(r["url"])}">{r["title_html"]}</a>'
                        f'<p>{r["snippet"]}</p><p>{html.escape(r["organ"])} {html.escape(r["published"])}</p></li>')
    head = error or (f"共找到 {result.total} 条结果" if result and result.total else (result.message if result else ""))
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><title>搜索结果</title></head><body>'
        f'<form action="/api/search/html" method="get" role="search"><label>关键词 <input name="q" '
        f'value="{html.escape(query.q)}"></label><button type="submit">搜索</button></form>'
        f'<p role="status">{html.escape(head)}</p><ol>{"".join(rows)}</ol></body></html>'
    )
