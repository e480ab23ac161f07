"""Small site trees and a loopback S3 server shared by the publish tests (no generator needed)."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from pathlib import Path

import pytest

SITE_FILES_V1 = {
    "index.html": "<!doctype html><title>首页</title><a href='/docs/1/'>一</a><a href='/docs/2/'>二</a>",
    "list/index.html": "<!doctype html><title>文件列表</title><a href='/docs/1/'>一</a><a href='/docs/2/'>二</a>",
    "list/2/index.html": "<!doctype html><title>文件列表 第2页</title><a href='/docs/3/'>三</a>",
    "docs/1/index.html": "<!doctype html><title>关于印发某某办法的通知</title><p>正文一</p>",
    "docs/2/index.html": "<!doctype html><title>关于开展某某工作的通知</title><p>正文二</p>",
    "docs/3/index.html": "<!doctype html><title>关于某某事项的批复</title><p>正文三</p>",
    "feed.xml": '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>最新文件</title></channel></rss>',
    "atom.xml": '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>最新</title></feed>',
    "sitemap.xml": '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
    "sitemaps/sitemap-1.xml": '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
    "static/app.3fa9c2d1e5.css": "body{font-family:sans-serif}",
    "static/app.0a1b2c3d.js": "console.log('政务公开')",
    "static/logo.png": "\x89PNG fake",
    "search/meta.json": '{"shards": "search/shards/"}',
    "search/shards/ab12cd34ef.bin": "shard-bytes-1",
    "search/shards/9f8e7d6c5b.bin": "shard-bytes-2",
    "robots.txt": "User-agent: *\n",
    "files/2024/附件一 实施细则.pdf": "%PDF-1.4 fake",
}


def write_site(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` under ``root`` and remove whatever else is there."""
    root.mkdir(parents=True, exist_ok=True)
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in files:
            path.unlink()
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return root


def change_one_document(files: dict[str, str]) -> dict[str, str]:
    """A corrected title: its page, the list page showing it, and the feed change."""
    out = dict(files)
    out["docs/2/index.html"] = files["docs/2/index.html"].replace("开展", "深入开展")
    out["list/index.html"] = files["list/index.html"].replace("二</a>", "二（更正）</a>")
    out["feed.xml"] = files["feed.xml"].replace("最新文件", "最新文件（更正）")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto in server mode on a loopback port: real HTTP, real boto3 requests."""
    from moto.server import ThreadedMotoServer

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(key, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint):
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3) -> str:
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def bucket_state(s3, bucket: str, prefix: str = "") -> dict[str, tuple[str, str, str]]:
    """key → (md5 of the body, Content-Type, Cache-Control) for every site object (ours excluded)."""
    state = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if "/.govsite/" in f"/{obj['Key']}":
                continue
            got = s3.get_object(Bucket=bucket, Key=obj["Key"])
            body = got["Body"].read()
            state[obj["Key"][len(prefix) :]] = (
                hashlib.md5(body).hexdigest(),
                got.get("ContentType"),
                got.get("CacheControl"),
            )
    return state
