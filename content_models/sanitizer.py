"""Clean legacy document HTML with an allow-list before it is stored or published.

Legacy exports carry Word markup, inline styles, unclosed tags, scripts, iframes, event
handlers and ``javascript:`` links. An allow-list (what may stay) is safer than a block-list
(what must go): anything a legacy system invents is dropped by default. nh3 (Rust ammonia
over html5ever) parses like a browser, so unclosed tags are repaired the way a reader's
browser would have shown them; it measured about 4x faster than lxml_html_clean here.
Plain Python (no Django) so the site generator may use it too.
"""

import nh3

# What a government document body needs: structure, lists, tables, links and images.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        "a", "img", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "span", "div",
        "figure", "figcaption",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
}
# Tags removed together with their content (not just unwrapped): script text, Word's <xml>
# blocks and embedded players must not leak into the page as visible text.
DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "xml", "frameset", "applet"}
)
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "tel", "ftp"})

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    strip_comments=True,  # also removes Word's conditional comments <!--[if gte mso 9]>...
    link_rel=None,
)


def clean_html(html: str | None) -> str:
    """Return the body with only allowed tags and attributes; idempotent (clean twice = once)."""
    if not html:
        return ""
    return _cleaner.clean(html).strip()
