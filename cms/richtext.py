"""Wagtail's stored rich text, expanded for the public: the body a citizen reads.

A stored body (``content_models.sanitizer.clean_html``) keeps the editor's references by id:
``<a linktype="standalone" id="3">`` (a 栏目单页), ``<a linktype="document" id="7">`` (an uploaded file),
``<a linktype="disclosure" id="12">`` (another disclosure document) and
``<embed embedtype="image" id="5" alt="…"/>``. A static page cannot ask the CMS what they mean,
so the records the build reads (``cms/build/jobs.py``) and the documents API carry them expanded:

- a link to a published 栏目单页 (``linktype="standalone"``, ``cms.models.StandalonePage``) → its
  URL; to a published disclosure document (``linktype="disclosure"``) → its static URL
  (``site_generator.docinfo.doc_url``); to an uploaded file → the file, stored by content
  (``content_models.filestore``) and placed on the site under ``files/`` like an attachment;
- a link to anything unpublished, withdrawn or deleted → its text, without a link; so is a link to
  Wagtail's page tree (``linktype="page"``), which the static site does not publish;
- an image → responsive renditions (800 and 1,600 pixels wide) stored by content, as
  ``<img src srcset sizes width height alt loading="lazy">``; a deleted image disappears.

The files a body needs are returned with it (``body_files`` in the record), so the build places
them and tracks them like attachments. Bodies without references (all imported ones) pass through
untouched, with no query.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta, timezone
from urllib.parse import quote

from django.conf import settings
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.document_files import FileLinks
from cms.models import StandalonePage
from content_models.filestore import FileStore
from content_models.models import DisclosureDocument
from site_generator.docinfo import attachment_path, doc_url, site_slug

_LINK = re.compile(r'<a\b([^>]*\blinktype="[^"]*"[^>]*)>(.*?)</a>', re.S)
_EMBED = re.compile(r"<embed\b([^>]*?)/?>")
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
CHINA_TZ = timezone(timedelta(hours=8))
RENDITIONS = ("width-800", "width-1600")
SIZES = "(max-width: 800px) 100vw, 800px"


def has_references(body: str) -> bool:
    return 'linktype="' in body or 'embedtype="' in body


class Expander:
    """Expands the bodies of one read (a build's batch, an API answer); files are stored once per read."""

    def __init__(self, store: FileStore | None = None):
        self.store = store or FileStore(settings.GOVSITE_FILES_DIR)
        self.links = FileLinks(self.store)
        self._files: dict[tuple[str, int], dict | None] = {}

    def expand(self, body: str) -> tuple[str, list[dict]]:
        """``(public body, files it links)``; the body stays in the stored form otherwise."""
        if not body or not has_references(body):
            return body, []
        files: list[dict] = []
        body = _LINK.sub(lambda m: self._link(m, files), body)
        body = _EMBED.sub(lambda m: self._embed(m, files), body)
        return body, files

    # -- links
    def _link(self, match: re.Match, files: list[dict]) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        text = match.group(2)
        url = self._url(attrs.get("linktype", ""), attrs.get("id", ""), files)
        if url is None:
            return text  # unpublished, withdrawn or gone: the words stay, the link does not
        title = f' title="{html.escape(attrs["title"])}"' if attrs.get("title") else ""
        return f'<a href="{html.escape(url)}"{title}>{text}</a>'

    def _url(self, linktype: str, ident: str, files: list[dict]) -> str | None:
        if not ident.isdigit():
            return None
        pk = int(ident)
        if linktype == "standalone":
            page = StandalonePage.objects.filter(pk=pk, live=True).select_related("department").first()
            return page.url if page is not None else None
        # linktype "page" (Wagtail's page tree) has no page on the static site: the words stay.
        if linktype == "disclosure":
            row = (DisclosureDocument.objects.filter(pk=pk, live=True)
                   .values("department__slug", "published_at", "source_id").first())
            if row is None:
                return None
            year = row["published_at"].astimezone(CHINA_TZ).year
            return doc_url(site_slug(row["department__slug"]), year, row["source_id"])
        if linktype == "document":
            stored = self._stored("document", pk)
            if stored is None:
                return None
            files.append(stored)
            return "/" + quote(attachment_path(stored["sha256"], stored["file"], stored["type"]))
        return None

    def _stored(self, kind: str, pk: int) -> dict | None:
        key = (kind, pk)
        if key not in self._files:
            doc = get_document_model().objects.filter(pk=pk).first()
            self._files[key] = self._put(doc.file) if doc is not None else None
        return self._files[key]

    def _put(self, field_file) -> dict | None:
        """The file stored by content (``cms.document_files``: read once, then known by its identity)."""
        stored = self.links.stored(field_file)
        if stored is None:
            return None  # the upload's file is gone from the media storage: treated as deleted
        return {"sha256": stored["sha256"], "file": stored["file"], "type": stored["type"]}

    # -- images
    def _embed(self, match: re.Match, files: list[dict]) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        if attrs.get("embedtype") != "image" or not attrs.get("id", "").isdigit():
            return ""
        image = get_image_model().objects.filter(pk=int(attrs["id"])).first()
        if image is None:
            return ""
        candidates = []
        for spec in RENDITIONS:
            try:
                rendition = image.get_rendition(spec)
            except (OSError, ValueError):
                continue
            stored = self._put(rendition.file)
            if stored is None:
                continue
            files.append(stored)
            url = "/" + quote(attachment_path(stored["sha256"], stored["file"], stored["type"]))
            if all(c[0] != url for c in candidates):
                candidates.append((url, rendition.width, rendition.height))
        if not candidates:
            return ""
        src, width, height = candidates[0]
        srcset = ", ".join(f"{url} {w}w" for url, w, _h in candidates)
        alt = html.escape(attrs.get("alt") or image.default_alt_text or "")
        return (f'<img src="{src}" srcset="{srcset}" sizes="{SIZES}" width="{width}" height="{height}" '
                f'alt="{alt}" loading="lazy">')
