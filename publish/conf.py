"""Publishing settings, read from Django settings with defaults.

``GOVSITE_PUBLISH`` (dict) holds how to reach the store and how objects are cached; anything
left out falls back to boto3's usual sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3, ~/.aws). ``GOVSITE_AUTO_PUBLISH`` (a
``--to`` URL, or the environment variable of the same name) publishes after every build.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "endpoint_url": None,  # e.g. https://oss-cn-hangzhou.aliyuncs.com, http://127.0.0.1:9000 (MinIO)
    "region": None,
    "access_key_id": None,
    "secret_access_key": None,
    "session_token": None,
    "addressing_style": None,  # "path" for MinIO, "virtual" for OSS/COS/OBS; None lets boto3 decide
    "workers": 8,  # concurrent uploads
    "retries": 5,  # attempts per request on transient errors, with exponential back-off
    "html_max_age": 300,  # Cache-Control max-age of HTML pages (seconds)
    "default_max_age": 300,  # ... of other files whose names carry no content hash
    "keep_releases": 3,  # local directory deploys: releases kept for --rollback
    # content-hashed files that left the site stay this long (seconds) for pages still cached
    "retire_seconds": 3600,
    "cloudfront_distribution_id": None,  # set to purge changed HTML paths after a publish
    "cloudfront_max_paths": 1000,  # more changed pages than this: one "/*" invalidation
    # another publish to the same target running: wait this long (seconds) for it, then fail
    "lock_timeout": 300,
    # a bucket lock not renewed for this long (seconds) is a dead publish's and is taken over
    "lock_ttl": 120,
}


def publish_settings() -> dict[str, Any]:
    from django.conf import settings

    merged = dict(DEFAULTS)
    merged.update(getattr(settings, "GOVSITE_PUBLISH", None) or {})
    for key in (
        "endpoint_url",
        "region",
        "addressing_style",
        "cloudfront_distribution_id",
        "lock_timeout",
        "lock_ttl",
    ):
        env = os.environ.get(f"GOVSITE_PUBLISH_{key.upper()}")
        if env and not merged.get(key):
            merged[key] = env
    return merged


def auto_publish_target() -> str | None:
    from django.conf import settings

    return getattr(settings, "GOVSITE_AUTO_PUBLISH", None) or os.environ.get("GOVSITE_AUTO_PUBLISH") or None


def default_site_dir() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "GOVSITE_SITE_DIR", Path("var") / "site"))


def publish_lock_dir() -> Path:
    """The machine's lock files of bucket targets, shared by every site directory
    (``publish.lock``; a directory target's lock file lies beside the target)."""
    from django.conf import settings

    return Path(getattr(settings, "DATA_DIR", "var")) / "publish" / "locks"


def publish_state_dir(site_dir: str | os.PathLike) -> Path:
    """Per-site-directory state under the data dir: ``hashes.json`` (stat cache) and ``changes/``
    (paths the builds changed). Keyed by the path as given, not resolved, so a site dir that is
    a symlink to alternating release directories keeps one state."""
    from django.conf import settings

    data_dir = Path(getattr(settings, "DATA_DIR", "var"))
    key = hashlib.sha1(os.path.abspath(site_dir).encode(), usedforsecurity=False).hexdigest()[:12]
    return data_dir / "publish" / key
