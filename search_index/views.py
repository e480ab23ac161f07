"""Server-rendered search results: the theme's own search page, filled in on the server."""

from __future__ import annotations

import functools
import html
import logging
from urllib.parse import urlencode

from .query import Query, Result, get_index

log = logging.getLogger(__name__)


@functools.cache
def _renderer():
    from site_generator.config import from_settings
    from site_generator.render import Renderer

    cfg = from_settings()
    return Renderer(cfg, cfg.departments)


def page_url(query: Query, page: int) -> str:
    params = {k: v for k, v in {**query.filters(), "q": query.q, "sort": query.sort}.items() if v}
    params["page"] = page
    return "/api/search/html?" + urlencode(params)


def facets() -> dict:
    try:
        index = get_index()
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
            "next_url": page_url(query, result.page + 1) if result and result.page < result.pages else None,
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
