"""Optional CDN purge after a publish: a CloudFront invalidation of the changed HTML paths."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

from .errors import PublishError, _


def invalidation_paths(pages: list[str], *, max_paths: int = 1000) -> list[str]:
    """URL paths for changed pages (``a/index.html`` → ``/a/index.html`` and ``/a/``); a wildcard
    when there are more than ``max_paths`` (CloudFront bills per path; ``/*`` counts as one)."""
    paths: list[str] = []
    for rel in sorted(pages):
        paths.append("/" + quote(rel, safe="/"))
        if rel == "index.html" or rel.endswith("/index.html"):
            paths.append("/" + quote(rel[: -len("index.html")], safe="/"))
    return ["/*"] if len(paths) > max_paths else paths


def cloudfront_purger(
    distribution_id: str, *, max_paths: int = 1000, client=None, **client_kwargs
) -> Callable[[list[str]], int]:
    def purge(pages: list[str]) -> int:
        paths = invalidation_paths(pages, max_paths=max_paths)
        try:
            import boto3  # noqa: PLC0415 - S3 only (docs/architecture.md)

            cf = client or boto3.client("cloudfront", **client_kwargs)
            cf.create_invalidation(
                DistributionId=distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": f"govsite-{int(time.time())}-{uuid.uuid4().hex[:8]}",
                },
            )
        except Exception as exc:  # noqa: BLE001 - any failure means the same to the user
            raise PublishError(
                _("站点已发布，但 CDN（CloudFront %(dist)s）刷新失败：%(error)s")
                % {"dist": distribution_id, "error": exc}
            ) from None
        return len(paths)

    return purge
