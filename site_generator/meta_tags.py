"""The meta tags of 《政府网站发展指引》 (国办发〔2017〕47号) that a page has data for, as one string.

``base.html`` prints the site's three tags itself and these through ``meta_tags(meta, site)`` (a
global of every theme environment): the keyed tags in the guideline's order, each only when the page
has a value, then the canonical link. The same bytes the Jinja loop over the list printed, in one
step: the loop made a document page 136 pieces of output passed up through two templates, now 73
(ADR 0164).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from site_generator.escaping import escape_text

# (tag, key of the page's meta dict: ``Renderer.page_meta``), in the order pages print them.
KEYED_TAGS = (
    ("ColumnName", "column"), ("ColumnType", "column_type"), ("ColumnDescription", "column_description"),
    ("ColumnKeywords", "column_keywords"), ("ArticleTitle", "article_title"), ("PubDate", "pub_date"),
    ("ContentSource", "content_source"), ("Keywords", "keywords"), ("Author", "author"),
    ("Description", "description"), ("Image", "image"), ("Url", "url"),
)


def meta_tags(meta: Mapping[str, Any] | None, site: Mapping[str, Any] | None) -> Markup:
    """The page's keyed meta tags and its canonical link (``site["base_url"]`` + ``meta["canonical"]``),
    each on a line of its own, escaped; empty without ``meta``."""
    if not meta:
        return Markup("")
    lines = [f'\n<meta name="{tag}" content="{escape_text(meta[key])}">' for tag, key in KEYED_TAGS if meta.get(key)]
    if meta.get("canonical"):
        base = (site or {}).get("base_url", "")
        lines.append(f'\n<link rel="canonical" href="{escape_text(base)}{escape_text(meta["canonical"])}">')
    return Markup("".join(lines))
