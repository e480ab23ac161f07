"""A link checker over a built site: every internal link and asset reference must name a file.

What a citizen would notice: a link on a page that leads to "404". It reads every HTML page of
the output directory, takes ``href`` and ``src`` (and ``srcset``) values that point into the site
(root-relative or relative; not ``http(s):``, ``mailto:``, ``tel:``, fragments) and resolves them
the way a static web server does (``/dir/`` → ``/dir/index.html``, percent-decoding).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

# Served by the CMS next to the static site, not by it (the service modules' APIs).
DYNAMIC_PREFIXES = ("/api/", "/admin/")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src") and tag not in ("form",):
                self.refs.append(value)
            elif name == "srcset":
                self.refs.extend(part.strip().split(" ")[0] for part in value.split(",") if part.strip())


def _target(root: Path, page_url: str, ref: str) -> Path | None:
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith("#"):
        return None  # outside links, mailto:, tel:, data:
    url = urljoin(page_url, parts.path) if parts.path else page_url
    if url.startswith(DYNAMIC_PREFIXES):
        return None
    path = unquote(url)
    if path.endswith("/"):
        path += "index.html"
    return root / path.lstrip("/")


def broken_links(root: Path) -> dict[str, list[str]]:
    """``{page: [broken reference, ...]}`` for every page of ``root`` with a dead internal link."""
    root = Path(root)
    broken: dict[str, list[str]] = {}
    for page in sorted(root.rglob("*.html")):
        rel = page.relative_to(root).as_posix()
        parser = _Refs()
        parser.feed(page.read_text("utf-8", "replace"))
        page_url = "/" + rel
        for ref in parser.refs:
            target = _target(root, page_url, ref)
            if target is None:
                continue
            if not (target.is_file() or (target.is_dir() and (target / "index.html").is_file())):
                broken.setdefault(rel, []).append(ref)
    return broken
