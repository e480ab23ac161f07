"""``/api/search``: the same queries as the static search page, answered from the same index files.

``GET /api/search?q=&organ=&category=&topic=&year=&validity=&sort=&page=`` returns JSON;
``GET /api/search/html?...`` returns the search page with the results rendered on the server, for
browsers without JavaScript (the search page's form points there).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query as QueryParams
from ninja import Router, Schema

from .query import IndexMissing, Query, search
from .views import render_results_page

router = Router(tags=["search"])


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
    validity: str
    snippet: str


class SearchOut(Schema):
    total: int
    total_exact: bool
    page: int
    pages: int
    results: list[Hit]
    message: str
    suggestions: list[str]


class ErrorOut(Schema):
    detail: str


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
    return query, search(query)


@router.get("", response={200: SearchOut, 503: ErrorOut}, url_name="search")
@router.get("/", response={200: SearchOut, 503: ErrorOut}, url_name="search_slash", include_in_schema=False)
def search_json(request: HttpRequest, params: QueryParams[SearchParams]):
    """全文检索：标题、文号、索引号、正文；可按部门、类别、主题、年份、有效性筛选。"""
    try:
        _query, result = _run(params)
    except IndexMissing as exc:
        return 503, {"detail": str(exc)}
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
