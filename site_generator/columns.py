"""Columns (栏目): the site's navigation tree and what each page says about its column.

Plain data from the caller (``BuildConfig.columns``; the CMS reads the editors' column tree): a list
of column dicts, each ``{"site": "" (the portal) or a department slug, "name", "type" (a
``vocabularies.COLUMN_TYPES`` entry), "description", "keywords", "url", "category" (the 信息类别 whose
documents it lists, or ""), "nav" (shown in the navigation), "children": [...]}`` in display order.

The 《政府网站发展指引》 asks every page for ColumnName, ColumnType, ColumnDescription and
ColumnKeywords; a document's column is the one listing its 信息类别 on its department's site, else on
the portal, else a column made from the category itself, so the tags never go missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from content_models import vocabularies

FIELDS = ("site", "name", "type", "description", "keywords", "url", "category", "nav")


def normalize(columns: Iterable[dict] | None) -> list[dict]:
    """The tree with every field present (plain str/bool/list), so it can be hashed and rendered."""
    out = []
    for c in columns or ():
        out.append({
            "site": str(c.get("site") or ""), "name": str(c.get("name") or ""),
            "type": str(c.get("type") or vocabularies.COLUMN_OTHER), "description": str(c.get("description") or ""),
            "keywords": str(c.get("keywords") or ""), "url": str(c.get("url") or ""),
            "category": str(c.get("category") or ""), "nav": bool(c.get("nav", True)),
            "children": normalize(c.get("children")),
        })
    return out


def walk(columns: Iterable[dict]) -> Iterator[dict]:
    """Every column of the tree, parents before their children."""
    for c in columns:
        yield c
        yield from walk(c.get("children") or ())


def category_column(category: str, site_name: str) -> dict:
    """The column of a 信息类别 nobody described: its name, its usual type, a plain description."""
    return {
        "site": "", "name": category, "type": vocabularies.CATEGORY_COLUMN_TYPES.get(category, vocabularies.COLUMN_DISCLOSURE),
        "description": f"{site_name}{category}", "keywords": category, "url": "", "category": category, "nav": False,
        "children": [],
    }


class ColumnIndex:
    """Lookups over one column tree: navigation per site and the column of a category or URL."""

    def __init__(self, columns: Iterable[dict] | None):
        self.tree = normalize(columns)
        self._by_category: dict[tuple[str, str], dict] = {}
        self._by_url: dict[tuple[str, str], dict] = {}
        for c in walk(self.tree):
            if c["category"]:
                self._by_category.setdefault((c["site"], c["category"]), c)
            if c["url"]:
                self._by_url.setdefault((c["site"], c["url"]), c)

    def nav(self, site: str = "") -> list[dict]:
        """The top-level columns of a site shown in its navigation, each with its shown children."""
        return [{**c, "children": [k for k in c["children"] if k["nav"]]}
                for c in self.tree if c["site"] == site and c["nav"]]

    def for_category(self, site: str, category: str, site_name: str) -> dict:
        return (self._by_category.get((site, category)) or self._by_category.get(("", category))
                or category_column(category, site_name))

    def for_url(self, url: str, site: str = "") -> dict | None:
        return self._by_url.get((site, url)) or self._by_url.get(("", url))


def shown(column: dict | None) -> tuple:
    """What a page shows of its column (the 指引's four column meta tags; a document's keywords fall
    back to the column's): two resolutions showing the same tuple render the same page."""
    c = column or {}
    return tuple(str(c.get(k) or "") for k in ("name", "type", "description", "keywords"))
