"""The one HTML allow-list: document bodies are cleaned by it when stored and when published.

Legacy exports carry Word markup, inline styles, unclosed tags, scripts, iframes, event
handlers and ``javascript:`` links. An allow-list (what may stay) is safer than a block-list
(what must go): anything a legacy system invents is dropped by default. nh3 (Rust ammonia
over html5ever) parses like a browser, so unclosed tags are repaired the way a reader's
browser would have shown them; it measured about 4x faster than lxml_html_clean here.
Plain Python (no Django) so the site generator uses it too.

Two forms of a body, from the same allow-list (docs/adr/0078-one-copy-of-every-rule.md):

- ``clean_html``: the **stored** form, at import and at admin save (the rich-text field). It also
  keeps the references of Wagtail's rich-text format (``<a linktype="page" id="3">``,
  ``<embed embedtype="image" id="5" .../>``) so that an editor's links and images survive a save;
  they are not HTML a browser understands and are never published as they are.
- ``public_html``: the **published** form, at build (from the database and ``--from-jsonl``
  alike): the allow-list alone (stored references the CMS did not expand, ``cms.richtext``, are
  dropped), anchors without a target unwrapped (their words stay), links marked
  ``rel="noopener noreferrer"``, and body headings from ``<h2>`` (the page title is the ``<h1>``).
  ``public_html(clean_html(x)) == public_html(x)``.
"""

import re

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
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    # srcset/sizes: the responsive renditions an expanded image carries (only site paths, see _keep)
    "img": frozenset({"src", "alt", "title", "width", "height", "srcset", "sizes", "loading"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ol": frozenset({"start", "type"}),
}
# Tags removed together with their content (not just unwrapped): script text, Word's <xml>
# blocks and embedded players must not leak into the page as visible text.
DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "xml", "frameset", "applet"}
)
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "tel", "ftp"})
PUBLIC_LINK_REL = "noopener noreferrer"

# What the admin's editor offers (Draftail features), chosen to match the allow-list: structure,
# lists, links to outside addresses, files, disclosure documents and 栏目单页 (the last two chosen
# in the editor: ``cms.admin.richtext_links``), images with an alt text. No "embed"
# (players and posts of outside hosts would load third-party code on a government page) and no
# "code" (no use in a document).
EDITOR_FEATURES: tuple[str, ...] = (
    "h2", "h3", "h4", "bold", "italic", "ol", "ul", "hr", "blockquote", "superscript", "subscript",
    "strikethrough", "link", "document-link", "disclosure-link", "standalone-link", "image",
)

# Wagtail's stored rich text: links to pages and documents by id, images (and media) as <embed>,
# and Draftail's block keys (kept so comments on a body keep their anchors). Stored form only.
STORED_REFERENCES: dict[str, frozenset[str]] = {
    "a": frozenset({"linktype", "id"}),
    "embed": frozenset({"embedtype", "id", "format", "alt", "url"}),
}
STORED_GENERIC_ATTRIBUTES: frozenset[str] = frozenset({"data-block-key"})

_STORED_ATTRIBUTES = {
    tag: set(ALLOWED_ATTRIBUTES.get(tag, frozenset()) | STORED_REFERENCES.get(tag, frozenset()))
    for tag in set(ALLOWED_ATTRIBUTES) | set(STORED_REFERENCES)
}
_STORED_ATTRIBUTES["*"] = set(STORED_GENERIC_ATTRIBUTES)

_SITE_SRCSET = re.compile(r"(?:/[^\s,]+\s+\d+w)(?:,\s*/[^\s,]+\s+\d+w)*")


def _keep(tag: str, attr: str, value: str) -> str | None:
    """A srcset survives only when every candidate is a path on the site (``/files/…``)."""
    if attr == "srcset":
        return value if _SITE_SRCSET.fullmatch(value.strip()) and "//" not in value else None
    if attr == "loading":
        return value if value in ("lazy", "eager") else None
    return value


_stored = nh3.Cleaner(
    tags=set(ALLOWED_TAGS | {"embed"}),
    clean_content_tags=set(DROP_WITH_CONTENT - {"embed"}),
    attributes=_STORED_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    strip_comments=True,  # also removes Word's conditional comments <!--[if gte mso 9]>...
    link_rel=None,
    attribute_filter=_keep,
)
_public = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROP_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    strip_comments=True,
    link_rel=PUBLIC_LINK_REL,
    attribute_filter=_keep,
)

# nh3's output escapes "<" and ">" inside attribute values, so these patterns only ever meet tags.
_EMBED = re.compile(r"<embed\b([^>]*)>")
_H1 = re.compile(r"<(/?)h1\b")
# An anchor left without a target (a legacy <a name=…>, a reference that was not expanded): its
# words stay, the dead link goes. nh3's output has no nested anchors, so a lazy match is exact.
_ANCHOR_WITHOUT_HREF = re.compile(r"<a\b(?![^>]*\bhref=)[^>]*>(.*?)</a>", re.S)
# HTML's white space only: a leading ideographic space (U+3000) is a Chinese paragraph indent.
_HTML_SPACE = " \t\n\r\f"


def _stored_embed(match: re.Match) -> str:
    """Wagtail reads ``<embed .../>`` (self-closed) with an ``embedtype``; any other embed goes."""
    attrs = match.group(1)
    return f"<embed{attrs}/>" if ' embedtype="' in attrs else ""


# Characters no document text may hold: C0 controls except tab, newline and carriage return, DEL,
# C1 controls, U+FFFE/U+FFFF (not allowed in XML: one in a title made every feed malformed), and
# lone surrogates (cannot be written as UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\s*[\t\r\n]+\s*")


def has_control_chars(text: str) -> bool:
    """Whether ``text`` holds a character ``clean_text`` removes."""
    return _CONTROL.search(text) is not None


def needs_cleaning(text: str, *, multiline: bool = False) -> bool:
    """Whether ``clean_text`` would change ``text`` (a search, cheaper than cleaning and comparing)."""
    return _CONTROL.search(text) is not None or (not multiline and _LINE_BREAKS.search(text) is not None)


def clean_text(text: str | None, *, multiline: bool = False) -> str:
    """Plain text as stored and published: control characters removed; a one-line field (title,
    organ, 文号) also has its line breaks and tabs turned into one space."""
    if not text:
        return ""
    text = _CONTROL.sub("", text)
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return text


_IMAGE_EMBED = re.compile(r'<embed\b[^>]*\bembedtype="image"[^>]*>')
_ALT = re.compile(r'\balt="([^"]*)"')


def images_without_alt(html: str | None) -> int:
    """How many images of a stored body have no alt text (the admin refuses to save such a body)."""
    count = 0
    for tag in _IMAGE_EMBED.findall(html or ""):
        alt = _ALT.search(tag)
        if alt is None or not alt.group(1).strip():
            count += 1
    return count


def clean_html(html: str | None) -> str:
    """The stored form of a body (import, admin save); idempotent (clean twice = once)."""
    if not html:
        return ""
    cleaned = _stored.clean(html)
    if "<embed" in cleaned:
        cleaned = _EMBED.sub(_stored_embed, cleaned)
    return cleaned.strip(_HTML_SPACE)


# The published form of most bodies, recognised without parsing (``is_public_form``): paragraphs,
# headings h2-h6, lists and tables of attribute-free tags with plain text, exactly as the public
# cleaner serialises them. Text holds no raw "<", ">", "&" (only &amp; &lt; &gt; &nbsp;), no
# U+00A0 (written &nbsp;), no carriage return or control character (the parser rewrites them).
_TEXT = r"(?:[^<>&\x00-\x08\x0b-\x1f\x7f-\x9f\xa0\ud800-\udfff\ufffe\uffff]++|&(?:amp|lt|gt|nbsp);)++"
_INLINE_ITEM = "(?:{text}|<br>|{inline})".format(
    text=_TEXT,
    inline="|".join(f"<{t}>(?:{_TEXT}|<br>)*+</{t}>"
                    for t in ("strong", "em", "b", "i", "u", "s", "sub", "sup", "small", "span")),
)
_INLINE = f"{_INLINE_ITEM}*+"
_WS = "[ \t\n]*+"
_CELL = f"(?:{_INLINE_ITEM}|<p>{_INLINE}</p>)*+"
_ROWS = f"(?:<tr>{_WS}(?:<td>{_CELL}</td>{_WS}|<th>{_CELL}</th>{_WS})*+</tr>{_WS})*+"
_BLOCK = "|".join([
    f"<p>{_INLINE}</p>",
    *(f"<h{n}>{_INLINE}</h{n}>" for n in range(2, 7)),
    *(f"<{t}>{_WS}(?:<li>{_INLINE}</li>{_WS})*+</{t}>" for t in ("ol", "ul")),
    f"<table>{_WS}(?:<thead>{_WS}{_ROWS}</thead>{_WS})?(?:<tbody>{_WS}{_ROWS}</tbody>{_WS})*+</table>",
])
_PUBLIC_FORM = re.compile(f"(?:{_BLOCK}|{_INLINE_ITEM}|[ \t\n]++)*+")


def is_public_form(html: str) -> bool:
    """Whether ``html`` is certainly already in the published form (``public_html(html) == html``),
    decided by one regular expression instead of a parse: the stored form of a plain body (every
    imported one without links or images) is its published form, so a build does not clean a
    body the import cleaned. False only means "not known": ``public_html`` then parses it."""
    return (bool(html) and html[0] not in _HTML_SPACE and html[-1] not in _HTML_SPACE
            and _PUBLIC_FORM.fullmatch(html) is not None)


def public_html(html: str | None) -> str:
    """The published form of a body (every page the build writes); idempotent."""
    if not html:
        return ""
    if is_public_form(html):
        return html
    cleaned = _public.clean(html)
    if "<a" in cleaned:
        cleaned = _ANCHOR_WITHOUT_HREF.sub(r"\1", cleaned)
    if "<h1" in cleaned:
        cleaned = _H1.sub(r"<\1h2", cleaned)
    return cleaned.strip(_HTML_SPACE)
