"""Wagtail documents that the static site links, published with it under ``files/`` (ADR 0103).

A page on the static site must not link the CMS's ``/documents/<id>/<name>`` URL: the CMS is not
the public server, and the link would break when the document is replaced or the CMS moves. Any
Wagtail document a page shows (a guide's blank form, a consultation's draft file, a rich-text
link) is put into the content-addressed store (``content_models.filestore``, ADR 0100) and linked
at its stable ``/files/<2 hex>/<14 hex>/<name>`` URL; the page carries the stored file
(``PageSpec.files`` for a contributed page, ``body_files`` for a document body) and the build
hard-links it into the release by its hash, exactly like an attachment.

A document's file is read once: the store remembers a file on the media file system by its path
and identity (``SeenSources``: size, mtime, ctime, inode), so a later build only stats it. A file
on another storage (no local path) is read each time it is asked for (once per ``FileLinks``).
A document whose file is gone from the media storage is shown with its title and 暂缺, never as a
dead link.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

from content_models.files import human_size, type_label
from content_models.filestore import FileStore, SeenSources
from site_generator.docinfo import attachment_path

MISSING = "暂缺"


def stored_url(ref: Mapping[str, Any]) -> str:
    """The public URL of a stored file (``{"sha256", "file", "type"}``) on the static site."""
    return "/" + quote(attachment_path(str(ref["sha256"]), str(ref["file"]), str(ref["type"])))


class FileLinks:
    """Stores Wagtail documents' files (and renditions) for one read: a build's page sets, an API answer."""

    def __init__(self, store: FileStore | None = None):
        self.store = store or FileStore(settings.GOVSITE_FILES_DIR)
        self._seen: SeenSources | None = None
        self._documents: dict[int, dict | None] = {}

    def stored(self, field_file) -> dict | None:
        """``{"sha256", "file", "type", "size"}`` of a file field's bytes, put into the store; None
        when the file cannot be read (gone from the media storage)."""
        name = os.path.basename(field_file.name or "")
        if not name:
            return None
        try:
            local = field_file.path
        except (NotImplementedError, ValueError):
            local = None
        try:
            if local is not None:
                if self._seen is None:
                    self._seen = SeenSources(self.store)
                stored = self._seen.put(Path(local), name)
                self._seen.flush()
            else:
                with field_file.open("rb") as fh:
                    stored = self.store.put_stream(fh, name)
        except OSError:
            return None
        return {"sha256": stored.sha256, "file": name, "type": stored.kind, "size": stored.size}

    def document(self, document) -> dict | None:
        """The stored file of a Wagtail document (cached per id for this read)."""
        if document.pk not in self._documents:
            self._documents[document.pk] = self.stored(document.file)
        return self._documents[document.pk]

    def link(self, document) -> dict | None:
        """What a page shows of a Wagtail document: ``{"title", "url", "type", "size", "missing",
        "stored"}``; ``url`` is the static ``/files/...`` URL, or empty with ``missing`` (暂缺) when
        the file is gone. None for no document. Put ``stored`` into the page's ``files``."""
        if document is None:
            return None
        ref = self.document(document)
        if ref is None:
            return {"title": document.title, "url": "", "type": "", "size": "", "missing": MISSING, "stored": None}
        return {"title": document.title, "url": stored_url(ref), "type": type_label(ref["type"]),
                "size": human_size(ref["size"]), "missing": "", "stored": ref}

    def close(self) -> None:
        if self._seen is not None:
            self._seen.db.close()
            self._seen = None


def page_files(links: Iterable[Mapping[str, Any] | None]) -> tuple[dict, ...]:
    """The stored files of the given links (``FileLinks.link`` results), once each, for ``PageSpec.files``."""
    out: dict[str, dict] = {}
    for link in links:
        ref = link.get("stored") if link else None
        if ref:
            key = f"{ref['sha256']}/{ref['file']}/{ref['type']}"
            out.setdefault(key, {"sha256": ref["sha256"], "file": ref["file"], "type": ref["type"]})
    return tuple(out.values())
