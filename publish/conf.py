"""Publishing settings: their defaults, and where a publish keeps its state. Plain Python.

The CMS reads ``GOVSITE_PUBLISH`` (dict) from Django settings (``cms.publishing``); it holds how to
reach the store and how objects are cached; anything left out falls back to boto3's usual sources
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3,
~/.aws). ``GOVSITE_AUTO_PUBLISH`` (a ``--to`` URL, or the environment variable of the same name)
publishes after every build (``publish.plugin.PublishPlugin``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
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


def merge_settings(configured: Mapping[str, Any] | None, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The defaults, overridden by the deployment's ``GOVSITE_PUBLISH``, then by
    ``GOVSITE_PUBLISH_<KEY>`` environment variables for the keys left empty."""
    merged = dict(DEFAULTS)
    merged.update(configured or {})
    for key in (
        "endpoint_url",
        "region",
        "addressing_style",
        "cloudfront_distribution_id",
        "lock_timeout",
        "lock_ttl",
    ):
        env = environ.get(f"GOVSITE_PUBLISH_{key.upper()}")
        if env and not merged.get(key):
            merged[key] = env
    return merged


def lock_dir_under(data_dir: str | os.PathLike) -> Path:
    """The machine's lock files of bucket targets, shared by every site directory
    (``publish.lock``; a directory target's lock file lies beside the target)."""
    return Path(data_dir) / "publish" / "locks"


def state_dir_under(data_dir: str | os.PathLike, site_dir: str | os.PathLike) -> Path:
    """Per-site-directory state under the data dir: ``hashes.json`` (stat cache) and ``changes/``
    (paths the builds changed). Keyed by the path as given, not resolved, so a site dir that is
    a symlink to alternating release directories keeps one state."""
    key = hashlib.sha1(os.path.abspath(site_dir).encode(), usedforsecurity=False).hexdigest()[:12]
    return Path(data_dir) / "publish" / key
