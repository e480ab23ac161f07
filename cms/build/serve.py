"""Serve the built static site from Django (the demo; production serves the directory with nginx
or a bucket). The site directory is a symlink to the live release: it is resolved once per
request, so a request never mixes two builds."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponsePermanentRedirect

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
}
SPECIAL = {"rss.xml": "application/rss+xml; charset=utf-8", "atom.xml": "application/atom+xml; charset=utf-8"}


def _content_type(path: Path) -> str:
    if path.name in SPECIAL:
        return SPECIAL[path.name]
    if path.suffix == ".xml":
        return "application/xml; charset=utf-8"
    return CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _not_found(root: Path) -> HttpResponse:
    page = root / "404.html"
    body = page.read_bytes() if page.is_file() else "<!DOCTYPE html><title>页面不存在</title><h1>页面不存在</h1>".encode()
    return HttpResponse(body, status=404, content_type="text/html; charset=utf-8")


def serve_site(request, path: str = ""):
    root = Path(os.path.realpath(settings.GOVSITE_SITE_DIR))
    if not root.is_dir():
        return _not_found(root)
    target = Path(os.path.normpath(root / path))
    if target != root and root not in target.parents:
        raise Http404()
    if target.is_dir():
        if path and not path.endswith("/"):
            return HttpResponsePermanentRedirect(request.path + "/")
        target = target / "index.html"
    if not target.is_file():
        return _not_found(root)
    response = FileResponse(open(target, "rb"), content_type=_content_type(target))  # noqa: SIM115
    if path.startswith("static/"):
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response["Cache-Control"] = "no-cache"
    return response
