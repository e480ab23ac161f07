"""One header policy: the demo's static-site server answers with the Content-Type and the
immutability that publish gives the same file in a bucket (publish/headers.py), for every suffix."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from cms.build.serve import serve_site
from publish import headers

HEADS = {
    "feed.xml": b'<?xml version="1.0"?><rss version="2.0"><channel>',
    "atom.xml": b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">',
    "sitemap.xml": b'<?xml version="1.0"?><urlset>',
    "list/rss.xml": b'<?xml version="1.0"?><rss version="2.0">',
    "list/atom.xml": b'<feed xmlns="http://www.w3.org/2005/Atom">',
}
# Every suffix publish knows by name, a few it leaves to mimetypes, and none at all.
SUFFIXES = sorted({*headers._TEXT_TYPES, *headers._BINARY_TYPES, ".rss", ".atom", ".xml", ".docx", ".xlsx",
                   ".doc", ".xls", ".zip", ".md", ".mp4", ".PDF", ""})
NAMES = [f"files/sample{suffix}" for suffix in SUFFIXES] + [f"static/app.3fa9c2d1{suffix}" for suffix in SUFFIXES]
NAMES += [*HEADS, "static/app.css", "search/idx/s/m1778-9d5f574c-3.bin", "search/idx/manifest.json", "index.html"]


@pytest.fixture()
def site(settings, tmp_path):
    root = tmp_path / "site"
    for name in NAMES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(HEADS.get(name, b"content of " + name.encode()))
    settings.GOVSITE_SITE_DIR = root
    return root


@pytest.mark.parametrize("name", NAMES)
def test_the_demo_server_says_what_publish_says(site, name):
    response = serve_site(RequestFactory().get("/" + name), name)
    head = (site / name).read_bytes()[: headers.HEAD_BYTES]
    assert response.status_code == 200
    assert response["Content-Type"] == headers.content_type(name, head)
    expected_cache = headers.IMMUTABLE if headers.is_immutable(name) else "no-cache"
    assert response["Cache-Control"] == expected_cache
    response.close()


def test_directories_and_missing_pages(site):
    index = serve_site(RequestFactory().get("/"), "")
    assert index["Content-Type"] == headers.content_type("index.html")
    index.close()
    missing = serve_site(RequestFactory().get("/nothing.html"), "nothing.html")
    assert missing.status_code == 404 and missing["Content-Type"] == headers.content_type("404.html")
