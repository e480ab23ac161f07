"""HTTP headers each published object carries.

Browsers and CDNs take ``Content-Type`` and ``Cache-Control`` from the object store, so they
are decided here once, from the file name (and, for ``.xml``, its first bytes: a feed is not a
sitemap). Content-hashed names never change meaning, so they are cached for a year and marked
immutable; everything else (HTML, feeds, sitemaps, unhashed files) gets a short lifetime so a
correction reaches readers within minutes.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass

IMMUTABLE = "public, max-age=31536000, immutable"
HEAD_BYTES = 1024  # how much of a file's start ``content_type`` looks at (feeds are sniffed)

# name.<8+ hex>.ext (also name.<hex>.min.js, name.<hex>.js.map)
_HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)?$")
# under search/: a file whose name carries a hex run of 6+ after a separator, or 8+ anywhere
# (the search index writes s/m1778-9d5f574c-3.bin, c/2485-9d5f574c-12.bin, p/0f9f0b33.64-a22305.bin,
# d/c.9-e9ba62.bin)
_SEARCH_HASHED = re.compile(r"(?:[._-][0-9a-f]{6,}|(?:^|[._-])[0-9a-f]{8,})(?:[._-]|$)")

_TEXT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".map": "application/json",
}
_BINARY_TYPES = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".pdf": "application/pdf",
    ".gz": "application/gzip",
    ".bin": "application/octet-stream",
    ".wasm": "application/wasm",
    ".ofd": "application/ofd",
    # Office documents (mimetypes knows only some of them, and only where /etc/mime.types has them)
    # and their WPS Office counterparts (文字 .wps, 表格 .et, 演示 .dps), as government sites serve them.
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".wps": "application/vnd.ms-works",
    ".et": "application/vnd.ms-excel",
    ".dps": "application/vnd.ms-powerpoint",
    ".rtf": "application/rtf",
    ".zip": "application/zip",
    ".rar": "application/vnd.rar",
    ".7z": "application/x-7z-compressed",
}
_UTF8 = "; charset=utf-8"


@dataclass(frozen=True)
class HeaderRules:
    """Cache lifetimes (seconds) for what is not content-hashed."""

    html_max_age: int = 300
    default_max_age: int = 300

    def cache_control(self, relpath: str) -> str:
        if is_immutable(relpath):
            return IMMUTABLE
        if relpath.endswith((".html", ".htm")):
            return f"public, max-age={self.html_max_age}"
        return f"public, max-age={self.default_max_age}"


# attachments: files/<2 hex>/<14 hex>/<name>, named by the content's SHA-256 (site_generator.docinfo)
_ATTACHMENT = re.compile(r"files/[0-9a-f]{2}/[0-9a-f]{14}/[^/]+")


def is_immutable(relpath: str) -> bool:
    """True for content-hashed names: theme assets ``name.<hex>.ext``, hashed search files, attachments."""
    if _ATTACHMENT.fullmatch(relpath):
        return True
    name = relpath.rsplit("/", 1)[-1]
    if _HASHED_NAME.search(name):
        return True
    return relpath.startswith("search/") and bool(_SEARCH_HASHED.search(name))


def content_type(relpath: str, head: bytes = b"") -> str:
    """MIME type with ``charset=utf-8`` for text; ``head`` is the file's first bytes (feeds are sniffed)."""
    lower = relpath.lower()
    ext = "." + lower.rsplit(".", 1)[-1] if "." in lower.rsplit("/", 1)[-1] else ""
    if ext in (".xml", ".rss", ".atom"):
        return _xml_type(ext, head) + _UTF8
    if ext in _TEXT_TYPES:
        return _TEXT_TYPES[ext] + _UTF8
    if ext in _BINARY_TYPES:
        return _BINARY_TYPES[ext]
    guessed, _ = mimetypes.guess_type(lower, strict=False)
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed.endswith(("+xml", "/xml", "/json")):
        return guessed + _UTF8
    return guessed


def _xml_type(ext: str, head: bytes) -> str:
    if ext == ".rss":
        return "application/rss+xml"
    if ext == ".atom":
        return "application/atom+xml"
    sample = head[:HEAD_BYTES]
    if b"<rss" in sample:
        return "application/rss+xml"
    if b"<feed" in sample and b"http://www.w3.org/2005/Atom" in sample:
        return "application/atom+xml"
    return "application/xml"
