"""Serve the built static site from Django (the demo; production serves the directory with nginx
or a bucket). The site directory is a symlink to the live release: it is resolved once per
request, so a request never mixes two builds."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponsePermanentRedirect

from publish import headers


def _not_found(root: Path) -> HttpResponse:
    page = root / "404.html"
    body = page.read_bytes() if page.is_file() else "<!DOCTYPE html><title>页面不存在</title><h1>页面不存在</h1>".encode()
    return HttpResponse(body, status=404, content_type=headers.content_type("404.html"))


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
    # The content type and what is immutable are publish's policy (publish.headers), the same for
    # a bucket and for this demo; everything else is revalidated, so a new build shows at once.
    relpath = target.relative_to(root).as_posix()
    fh = open(target, "rb")  # noqa: SIM115 - FileResponse closes it
    head = fh.read(headers.HEAD_BYTES)
    fh.seek(0)
    response = FileResponse(fh, content_type=headers.content_type(relpath, head))
    response["Cache-Control"] = headers.IMMUTABLE if headers.is_immutable(relpath) else "no-cache"
    return response
