"""Which outputs a column (栏目) edit changes, so that the incremental build rewrites only those.

A built page shows the column tree in three places (ADR 0135):

- the menu: not in the page, but in one shared file per site (``_nav/...``) that every page of the
  site references; the build rewrites those files (1 + the departments) when the tree differs;
- the 网站地图 page, rewritten likewise;
- the column meta tags (ColumnName, ColumnType, ColumnDescription, ColumnKeywords) of the pages
  whose column comes from the tree: documents by their site and 信息类别 (or their site's own
  column), lists by their URL or category, contributed and theme pages by their URL.

For those, the column each page resolves to under the old and the new tree is compared
(``columns.shown``): only the pages whose tags differ are rewritten, e.g. a renamed 通知公告 column
of one department rewrites that department's 通知公告 documents and lists, a reorder or a new link
column only the menu files and the 网站地图. Every lookup is by list key, so the cost is bounded by
the pages that show the edited column, not by the site.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from site_generator.columns import shown
from site_generator.pages import PageSpec
from site_generator.render import Renderer
from site_generator.state import State


@dataclass
class ColumnChanges:
    """The outputs to rewrite after a column edit (besides the menu files and the 网站地图)."""

    lists: set[str] = field(default_factory=set)  # list keys: every page, the index and feeds
    docs: set[str] = field(default_factory=set)  # document ids
    pages: list[PageSpec] = field(default_factory=list)  # contributed pages
    theme_pages: list[str] = field(default_factory=list)  # the theme's own standalone pages (names)


def page_url(path: str) -> str:
    """The address (canonical URL) of an output path, as the build gives contributed pages."""
    return "/" + (path[:-len("index.html")] if path.endswith("index.html") else path)


def column_changes(renderer: Renderer, stored_tree: str | None, st: State, list_keys: Iterable[str],
                   specs: Iterable[PageSpec], theme_pages: Iterable[str]) -> ColumnChanges | None:
    """None when the tree equals the one the live site was built with (``stored_tree``, JSON)."""
    if stored_tree == renderer.columns_json():
        return None
    old = renderer.with_columns(orjson.loads(stored_tree or "[]"))
    new = renderer
    out = ColumnChanges()
    keys = set(list_keys)
    for key in sorted(keys):
        lm = new.list_meta(key)
        if shown(old.list_column(lm)) != shown(new.list_column(lm)):
            out.lists.add(key)
    # Documents: those of a (site, category) whose column reads differently; a site's documents
    # without a category show the site's own column.
    by_site: dict[str, list[str]] = {}
    for key in keys:
        if key.startswith("sc:"):
            by_site.setdefault(key.split(":", 2)[1], []).append(key)
    for key in sorted(keys):
        if key.startswith("sc:"):
            _, site, cat = key.split(":", 2)
            name = new.dept_name(site)
            if shown(old.columns.for_category(site, cat, name)) != shown(new.columns.for_category(site, cat, name)):
                out.docs.update(_members(st, key))
        elif key.startswith("s:"):
            site = key[2:]
            if shown(old.site_column(site)) != shown(new.site_column(site)):
                categorized = set()
                for sub in by_site.get(site, ()):
                    categorized.update(_members(st, sub))
                out.docs.update(set(_members(st, key)) - categorized)
    # Pages placed at a column's URL take that column's tags (``Renderer.page_meta``).
    def changed(url: str) -> bool:
        return shown(old.columns.for_url(url, "")) != shown(new.columns.for_url(url, ""))

    out.pages = [spec for spec in specs if changed(page_url(spec.path))]
    out.theme_pages = [name for name in theme_pages if changed(f"/{name}/")]
    return out


def _members(st: State, key: str) -> list[str]:
    return st.slice(key, 0, st.count(key))
