"""Where a site goes: a local directory (atomic release swap) or an S3-compatible bucket.

``open_target("s3://bucket/prefix")`` / ``open_target("/srv/www/site")`` turn the ``--to``
argument into a target. Both are plain Python (boto3 for S3); nothing here imports Django.
Both satisfy ``Target``, what the runner and the change log rely on for any target; each kind adds
its own way of writing (a release directory swapped in by one rename, or objects under a journal).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import random
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlparse

import orjson

from content_models.atomic import atomic_write, replace_with_symlink

from .errors import PublishError, _
from .manifest import (
    LOG_MAX,
    Entry,
    Manifest,
    ManifestError,
    ManifestInfo,
    Retired,
    apply_changes,
    base_name,
    dump_head,
    dump_manifest,
    load_head,
    load_manifest_doc,
    manifest_changes,
    new_manifest_id,
    scan_site,
)
from .store import NAME as STORE_NAME
from .store import ManifestStore

T = TypeVar("T")
MANIFEST_NAME = ".govsite/manifest.json.gz"
JOURNAL_NAME = ".govsite/journal.json.gz"
WRITE_OPERATIONS = {"PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "CreateMultipartUpload"}


@dataclass
class S3Options:
    """How to reach the store; empty values fall back to boto3's usual chain (AWS_* environment)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    addressing_style: str | None = None  # "path" (MinIO), "virtual" (OSS, COS, OBS) or None (auto)
    workers: int = 8
    retries: int = 5
    backoff: float = 0.2
    connect_timeout: float = 5.0
    read_timeout: float = 60.0

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> S3Options:
        data = dict(data or {})
        known = {k: data[k] for k in cls.__dataclass_fields__ if data.get(k) not in (None, "")}
        return cls(**known)


@runtime_checkable
class Target(Protocol):
    """A place a site is published to, as every publish sees it."""

    # The manifest last read or written (``None`` before): the change log trusts its paths only
    # against the manifest they were recorded for.
    manifest_id: str | None
    # Facts of the manifest last read (id, retired files).
    info: ManifestInfo

    @property
    def url(self) -> str:
        """Where it is, as the user typed it in ``--to`` (shown in messages and summaries)."""
        ...

    def read_manifest(self) -> Manifest | None:
        """What the target holds now (path → entry), or None when nothing was published yet."""
        ...


def open_target(
    url: str, *, s3: S3Options | None = None, keep_releases: int = 3
) -> S3Target | LocalDirTarget:
    """A target from ``--to``: ``s3://bucket[/prefix]``, ``file:///path`` or a plain path."""
    if not url or not url.strip():
        raise PublishError(_("未指定发布目标（--to），例如 s3://桶名/前缀 或 /srv/www/site。"))
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise PublishError(_("发布地址 %(url)s 缺少存储桶名，应为 s3://桶名/前缀。") % {"url": url})
        return S3Target(parsed.netloc, parsed.path.strip("/"), s3 or S3Options())
    if parsed.scheme == "file":
        return LocalDirTarget(Path(parsed.path), keep_releases=keep_releases)
    if parsed.scheme and len(parsed.scheme) > 1:  # (a Windows drive letter is not a scheme)
        raise PublishError(
            _("不支持的发布地址 %(url)s：只支持本地目录和 s3://桶名/前缀（兼容 S3 的对象存储）。")
            % {"url": url}
        )
    return LocalDirTarget(Path(url), keep_releases=keep_releases)


# ---------------------------------------------------------------------------
# S3 and S3-compatible stores
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """What the store says an object is (from HEAD, or from a listing: no headers then)."""

    md5: str
    size: int
    content_type: str | None = None
    cache_control: str | None = None

    def matches(self, entry: Entry | None) -> bool:
        return (
            entry is not None
            and self.md5 == entry.md5
            and self.size == entry.size
            and self.content_type in (None, entry.content_type)
            and self.cache_control in (None, entry.cache_control)
        )


@dataclass
class S3Target:
    bucket: str
    prefix: str
    options: S3Options = field(default_factory=S3Options)

    def __post_init__(self) -> None:
        self.prefix = self.prefix.strip("/")
        self.requests: Counter[str] = Counter()
        self.manifest_damaged = False
        self.manifest_id: str | None = None  # of the manifest last read or written
        self.info = ManifestInfo()  # of the manifest last read
        self.journal_run: str | None = None  # the run that wrote the journal last read
        # a local copy of the manifest we last wrote or read (saves its download: 1.5 MB at 39k files)
        self.manifest_cache: Path | None = None
        self.manifest_from_cache = False
        self.log_max = LOG_MAX  # entries the head carries before a publish writes a new base (ADR 0157)
        self._base: tuple[str, Manifest] | None = None  # the base the manifest last read or written names
        self._lock = threading.Lock()
        self._client = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def write_requests(self) -> int:
        return sum(n for op, n in self.requests.items() if op in WRITE_OPERATIONS)

    def key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    @property
    def client(self):
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self, *, count: bool = True):
        """A client for this store; ``count``: its requests are added to ``self.requests``."""
        from botocore.config import Config  # noqa: PLC0415 - S3 only (docs/architecture.md)

        o = self.options
        config = Config(
            max_pool_connections=max(10, o.workers * 2),
            connect_timeout=o.connect_timeout,
            read_timeout=o.read_timeout,
            retries={"mode": "standard", "max_attempts": 1},  # our own retries, see _call
            # botocore >= 1.36 adds CRC32 checksums that OSS/COS/OBS and older MinIO reject
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": o.addressing_style} if o.addressing_style else None,
        )
        session = _session(o.access_key_id, o.secret_access_key, o.session_token, o.region)
        try:
            client = session.client("s3", endpoint_url=o.endpoint_url, config=config)
        except ValueError as exc:
            raise PublishError(_("对象存储地址无效：%(error)s") % {"error": exc}) from None
        if count:
            client.meta.events.register("before-send.s3", self._count_request)
        client.meta.events.register("before-sign.s3.DeleteObjects", _add_content_md5)
        return client

    def _count_request(self, event_name: str, **kwargs) -> None:
        with self._lock:
            self.requests[event_name.rsplit(".", 1)[-1]] += 1

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one request with retries and exponential back-off (with jitter) on transient errors."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - classified below
                if not _is_transient(exc) or attempt >= max(1, self.options.retries):
                    raise PublishError(self.describe_error(exc, what)) from None
                delay = self.options.backoff * (2 ** (attempt - 1))
                time.sleep(min(delay, 10.0) * (0.5 + random.random() / 2))

    def describe_error(self, exc: BaseException, what: str) -> str:
        from botocore import exceptions as be  # noqa: PLC0415 - S3 only (docs/architecture.md)

        where = {"target": self.url, "what": what}
        if isinstance(exc, be.NoCredentialsError | be.PartialCredentialsError):
            return _(
                "找不到对象存储的访问凭据：请在 GOVSITE_PUBLISH 设置 access_key_id/secret_access_key，"
                "或设置环境变量 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY。"
            )
        if isinstance(exc, be.EndpointConnectionError | be.ConnectTimeoutError | be.ConnectionClosedError):
            return _(
                "无法连接对象存储服务（%(what)s，%(target)s）：%(error)s。请检查 endpoint 地址和网络。"
            ) % {
                **where,
                "error": exc,
            }
        if isinstance(exc, be.ReadTimeoutError):
            return _("对象存储服务响应超时（%(what)s，%(target)s）。") % where
        if isinstance(exc, be.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchBucket",) or (code == "404" and what == _("检查存储桶")):
                return _("存储桶 %(bucket)s 不存在（%(target)s）。请先创建存储桶或检查桶名。") % {
                    "bucket": self.bucket,
                    **where,
                }
            if code == "BadDigest":
                return (
                    _(
                        "%(what)s：文件在发布过程中被改动（站点正在重新生成？）。请在生成完成后重新发布，已传内容会被接续。"
                    )
                    % where
                )
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "InvalidToken"):
                return _("对象存储拒绝了访问（%(code)s）：请检查访问密钥和权限（%(target)s）。") % {
                    "code": code,
                    **where,
                }
            return _("对象存储返回错误 %(code)s（%(what)s，%(target)s）：%(error)s") % {
                "code": code,
                "error": exc.response.get("Error", {}).get("Message", exc),
                **where,
            }
        if isinstance(exc, be.BotoCoreError):
            return _("对象存储请求失败（%(what)s，%(target)s）：%(error)s") % {**where, "error": exc}
        if isinstance(exc, OSError):
            return _("读取本地文件失败（%(what)s）：%(error)s") % {**where, "error": exc}
        return _("发布失败（%(what)s，%(target)s）：%(error)s") % {**where, "error": exc}

    # -- operations -----------------------------------------------------------------------

    def check_bucket(self) -> None:
        """Fail early on a missing bucket or a dead endpoint (a 403 here may only mean that the
        key may not HEAD the bucket: the object requests that follow will tell)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 - S3 only (docs/architecture.md)

        def head() -> None:
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) not in ("403", "AccessDenied"):
                    raise

        self._call(_("检查存储桶"), head)

    def _get_optional(self, name: str, *, unless: bytes | None = None) -> bytes | None:
        """The object's bytes, None when absent; ``unless`` (a copy we hold) is returned as is
        when the stored object has the same ETag (a conditional GET: no body travels)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 - S3 only (docs/architecture.md)

        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(name)}
        if unless is not None:
            kwargs["IfNoneMatch"] = f'"{hashlib.md5(unless, usedforsecurity=False).hexdigest()}"'

        def get() -> bytes | None:
            try:
                return self.client.get_object(**kwargs)["Body"].read()
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code"))
                if code in ("NoSuchKey", "404"):
                    return None
                if code in ("304", "NotModified") and unless is not None:
                    self.manifest_from_cache = True
                    return unless
                raise

        return self._call(_("读取 %(name)s") % {"name": name}, get)

    def read_manifest(self) -> Manifest | None:
        """The manifest on the target: its head (a conditional GET against the copy we hold) over its
        base (content-named, so a cached copy of that name is used without asking), ADR 0157."""
        cached = None
        if self.manifest_cache is not None:
            try:
                cached = self.manifest_cache.read_bytes()
            except OSError:
                cached = None
        data = self._get_optional(MANIFEST_NAME, unless=cached)
        if data is None:
            return None
        try:
            head = load_head(data)
            if head is None:  # one whole manifest, as publishes wrote it before ADR 0157
                manifest, self.info = load_manifest_doc(data)
                self._base = None
            else:
                name, changes, self.info = head
                base = self._read_base(name)
                self._base = (name, base)
                manifest = apply_changes(base, changes)
        except ManifestError:
            self.manifest_damaged = True  # the caller lists and checks every object instead
            return None
        self.manifest_id = self.info.id
        return manifest

    def _base_cache(self, name: str) -> Path | None:
        return self.manifest_cache.with_name(f"{self.manifest_cache.name}.{name}") if self.manifest_cache else None

    def _read_base(self, name: str) -> Manifest:
        cache = self._base_cache(name)
        data = None
        if cache is not None:
            try:
                data = cache.read_bytes()
            except OSError:
                data = None
            if data is not None and base_name(data) != name:
                data = None
        if data is None:
            data = self._get_optional(f".govsite/{name}")
            if data is None or base_name(data) != name:
                raise ManifestError(f"the manifest's base {name} is missing or damaged")
            self._keep_base(name, data)
        return load_manifest_doc(data)[0]

    def _keep_base(self, name: str, data: bytes) -> None:
        """A local copy of the base (and only of the current one)."""
        cache = self._base_cache(name)
        if cache is None:
            return
        try:
            for old in cache.parent.glob(f"{self.manifest_cache.name}.manifest-base-*"):
                if old != cache:
                    old.unlink(missing_ok=True)
            atomic_write(cache, data, durable=False, private=True)
        except OSError:
            pass

    def read_journal(self) -> dict[str, Entry | None] | None:
        """Paths an unfinished publish was changing, with the state each was meant to reach."""
        data = self._get_optional(JOURNAL_NAME)
        if data is None:
            return None
        try:
            doc = orjson.loads(gzip.decompress(data))
            self.journal_run = doc.get("run")
            return {rel: (Entry(*v) if v else None) for rel, v in doc["planned"].items()}
        except Exception:  # noqa: BLE001 - an unreadable journal: the caller verifies everything
            return {}

    def write_journal(self, planned: dict[str, Entry | None], run: str) -> None:
        doc = {
            "run": run,
            "planned": {
                rel: ([e.md5, e.size, e.content_type, e.cache_control] if e else None)
                for rel, e in planned.items()
            },
        }
        self._put_bytes(JOURNAL_NAME, gzip.compress(orjson.dumps(doc), mtime=0))

    def write_manifest(
        self, manifest: Manifest, *, run: str | None = None, retired: Retired | None = None
    ) -> None:
        """The last object of a run; naming the run marks its journal complete (no extra DELETE).

        Only the head is written: the base the manifest was read over, and the entries changed since
        it. When those pass ``log_max`` (or there is no base yet), the whole manifest becomes a new
        base first, and the old base is deleted after the head names the new one (ADR 0157)."""
        mid = new_manifest_id()
        old = self._base[0] if self._base else None
        changes = manifest_changes(self._base[1], manifest) if self._base else None
        if changes is None or len(changes) > self.log_max:
            whole = dump_manifest(manifest, mid=mid)
            name = base_name(whole)
            self._put_bytes(f".govsite/{name}", whole)
            self._keep_base(name, whole)
            self._base = (name, dict(manifest))
            changes = {}
        data = dump_head(self._base[0], changes, mid=mid, run=run, retired=retired)
        self._put_bytes(MANIFEST_NAME, data)
        self.manifest_id = mid
        if self.manifest_cache is not None:  # next time a conditional GET answers "not modified"
            try:
                atomic_write(self.manifest_cache, data, durable=False, private=True)
            except OSError:
                pass
        if old is not None and old != self._base[0]:
            try:
                self.delete([f".govsite/{old}"])
            except PublishError:
                pass  # a stale base only takes room; nothing reads it

    def _put_bytes(self, name: str, data: bytes) -> None:
        self._call(
            _("写入 %(name)s") % {"name": name},
            lambda: self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(name),
                Body=data,
                ContentType="application/gzip",
                CacheControl="no-store",
                ContentMD5=_b64md5(data),
            ),
        )

    def upload(self, rel: str, path: Path, entry: Entry) -> None:
        md5_b64 = base64.b64encode(bytes.fromhex(entry.md5)).decode()
        body = _read_checked(path, entry, rel) if entry.size <= IN_MEMORY_LIMIT else None

        def put() -> None:
            with open(path, "rb") if body is None else _nullcontext(body) as fh:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.key(rel),
                    Body=fh,
                    ContentLength=entry.size,
                    ContentType=entry.content_type,
                    CacheControl=entry.cache_control,
                    ContentMD5=md5_b64,  # the store rejects a body changed under us or in transit
                    Metadata={"govsite-md5": entry.md5},
                )

        self._call(_("上传 %(name)s") % {"name": rel}, put)

    def delete(self, rels: list[str]) -> None:
        """Batch deletes: one request per 1,000 objects."""
        for start in range(0, len(rels), 1000):
            batch = rels[start : start + 1000]

            def delete_batch(batch=batch) -> None:
                resp = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self.key(r)} for r in batch], "Quiet": True},
                )
                errors = [e for e in resp.get("Errors", []) if e.get("Code") != "NoSuchKey"]
                if errors:
                    from botocore.exceptions import ClientError  # noqa: PLC0415 - S3 only (docs/architecture.md)

                    raise ClientError({"Error": errors[0]}, "DeleteObjects")

            self._call(_("删除对象"), delete_batch)

    def head(self, rel: str) -> Observed | None:
        from botocore.exceptions import ClientError  # noqa: PLC0415 - S3 only (docs/architecture.md)

        def head() -> Observed | None:
            try:
                r = self.client.head_object(Bucket=self.bucket, Key=self.key(rel))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
            md5 = r.get("Metadata", {}).get("govsite-md5") or r.get("ETag", "").strip('"')
            return Observed(md5, r.get("ContentLength", -1), r.get("ContentType"), r.get("CacheControl"))

        return self._call(_("检查 %(name)s") % {"name": rel}, head)

    def list_objects(self) -> dict[str, Observed]:
        """Every object under the prefix (ETag as md5; our own .govsite files left out)."""
        out: dict[str, Observed] = {}
        base = f"{self.prefix}/" if self.prefix else ""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": base}
        while True:
            page = self._call(_("列出对象"), lambda kw=dict(kwargs): self.client.list_objects_v2(**kw))
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(base) :]
                if rel and not rel.startswith(".govsite/"):
                    out[rel] = Observed(obj.get("ETag", "").strip('"'), obj.get("Size", -1))
            if not page.get("IsTruncated"):
                return out
            kwargs["ContinuationToken"] = page["NextContinuationToken"]


# Files up to this size are read and checked against the scanned hash before they are sent.
IN_MEMORY_LIMIT = 64 << 20


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc) -> None:
        return None


def _read_checked(path: Path, entry: Entry, rel: str) -> bytes:
    """The file's bytes, provided they are still what the scan hashed (a build may be rewriting
    the tree under a long publish; sending new bytes under the old hash would record a lie)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PublishError(_("读取本地文件 %(name)s 失败：%(error)s") % {"name": rel, "error": exc}) from None
    if len(data) != entry.size or hashlib.md5(data, usedforsecurity=False).hexdigest() != entry.md5:
        raise PublishError(
            _(
                "文件 %(name)s 在发布过程中被改动（站点正在重新生成？）。请在生成完成后重新发布，已传内容会被接续。"
            )
            % {"name": rel}
        )
    return data


_SESSIONS: dict[tuple, Any] = {}
_SESSIONS_LOCK = threading.Lock()


def _session(key_id, secret, token, region):
    """One boto3 session per credentials: it keeps the loaded S3 service model (~0.4 s to load),
    so the publish after every build in a long-running worker does not pay for it again."""
    import boto3  # noqa: PLC0415 - S3 only (docs/architecture.md)

    with _SESSIONS_LOCK:
        key = (key_id, secret, token, region)
        if key not in _SESSIONS:
            _SESSIONS[key] = boto3.session.Session(
                aws_access_key_id=key_id,
                aws_secret_access_key=secret,
                aws_session_token=token,
                region_name=region,
            )
        return _SESSIONS[key]


def _b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _add_content_md5(request, **kwargs) -> None:
    """DeleteObjects must carry Content-MD5 for many S3-compatible stores (botocore now sends CRC32)."""
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes) and "Content-MD5" not in request.headers:
        request.headers["Content-MD5"] = _b64md5(body)


def _is_transient(exc: BaseException) -> bool:
    from botocore import exceptions as be  # noqa: PLC0415 - S3 only (docs/architecture.md)

    if isinstance(exc, be.ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 or err.get("Code") in {
            "SlowDown",
            "RequestTimeout",
            "Throttling",
            "ThrottlingException",
            "RequestTimeTooSkewed",
            "InternalError",
            "ServiceUnavailable",
        }
    return isinstance(
        exc,
        be.EndpointConnectionError
        | be.ConnectionClosedError
        | be.ReadTimeoutError
        | be.ConnectTimeoutError
        | be.ResponseStreamingError
        | ConnectionError
        | be.HTTPClientError,
    )


# ---------------------------------------------------------------------------
# Local directory: releases side by side, a symlink that is swapped atomically
# ---------------------------------------------------------------------------

LOCAL_MANIFEST = ".govsite-manifest.json.gz"


@dataclass
class LocalDirTarget:
    """``dest`` is a symlink to ``.<name>.releases/<release>``; a publish builds a new release
    (hard links for unchanged files) and swaps the link with one ``rename``."""

    dest: Path
    keep_releases: int = 3

    def __post_init__(self) -> None:
        self.dest = Path(os.path.abspath(self.dest))
        self.manifest_id: str | None = None
        self.info = ManifestInfo()
        self.releases_dir = self.dest.parent / f".{self.dest.name}.releases"
        self._store: ManifestStore | None = None

    @property
    def url(self) -> str:
        return str(self.dest)

    def check(self) -> None:
        if not self.dest.parent.is_dir():
            raise PublishError(_("发布目录的上级目录 %(path)s 不存在。") % {"path": self.dest.parent})
        if self.dest.exists() and not self.dest.is_symlink():
            if not self.dest.is_dir():
                raise PublishError(_("发布目标 %(path)s 已存在且不是目录。") % {"path": self.dest})
            if any(self.dest.iterdir()):
                raise PublishError(
                    _(
                        "发布目录 %(path)s 已存在且不是由本工具管理（不是指向发布版本的链接）。"
                        "为保证原子切换，请改用一个新路径，或先移走该目录。"
                    )
                    % {"path": self.dest}
                )

    def current_release(self) -> Path | None:
        if self.dest.is_symlink():
            target = self.dest.resolve()
            return target if target.is_dir() else None
        return None

    def releases(self) -> list[Path]:
        if not self.releases_dir.is_dir():
            return []
        return sorted(p for p in self.releases_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def store(self) -> ManifestStore:
        """The keyed manifest beside the releases (``publish.store``), opened once per target."""
        if self._store is None:
            self._store = ManifestStore(self.releases_dir)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def store_manifest_id(self) -> str | None:
        """The id of the live release's manifest when the store describes that release, else None."""
        current = self.current_release()
        if current is None or not (self.releases_dir / STORE_NAME).is_file():
            return None
        release, mid = self.store().describes()
        return mid if release == current.name else None

    def read_manifest(self) -> Manifest | None:
        current = self.current_release()
        if current is None:
            return None
        if self.store_manifest_id() is not None:  # the live release was made from the change log
            store = self.store()
            self.info = ManifestInfo(id=store.describes()[1], retired=store.retired())
            self.manifest_id = self.info.id
            return store.manifest()
        try:
            manifest, self.info = load_manifest_doc((current / LOCAL_MANIFEST).read_bytes())
        except (OSError, ManifestError):
            return scan_site(current)  # no or damaged manifest: look at what is there
        self.manifest_id = self.info.id
        return manifest

    def begin(self) -> Path:
        """A fresh, hidden work directory for the next release (leftovers of killed runs removed)."""
        self.releases_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.releases_dir.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        work = self.releases_dir / f".tmp-{name}"
        work.mkdir()
        return work

    def recycle(self) -> tuple[Path, Manifest] | None:
        """The oldest release, which the next commit would prune, as the next work directory, with
        the manifest it holds; None when there is none to spare (or its manifest is unreadable).

        Bringing that release up to date touches only what differs from it (the changes of the
        last few publishes), where a fresh release hard-links every unchanged file of the site:
        at 200k documents 250k links, tens of seconds, for a one-document change.
        """
        current = self.current_release()
        spare = [r for r in self.releases() if r != current]
        if current is None or not spare or len(spare) + 1 < max(2, self.keep_releases):
            return None
        oldest = spare[0]
        try:
            manifest, info = load_manifest_doc((oldest / LOCAL_MANIFEST).read_bytes())
        except (OSError, ManifestError):
            return None
        manifest = {**{rel: e for rel, (e, _since) in info.retired.items()}, **manifest}
        work = self.begin()
        work.rmdir()
        os.rename(oldest, work)
        return work, manifest

    @staticmethod
    def copy_in(work: Path, rel: str, src: Path) -> None:
        dst = work / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        # never write through a hard link: a recycled release shares its files with the others
        dst.unlink(missing_ok=True)
        shutil.copy2(src, dst)

    @staticmethod
    def remove(work: Path, rel: str) -> None:
        (work / rel).unlink(missing_ok=True)

    def link_unchanged(self, work: Path, rels: Iterable[str], current: Path, site_root: Path) -> None:
        """Hard-link files that did not change from the live release (copy when linking fails)."""
        made: set[Path] = set()
        for rel in rels:
            dst = work / rel
            parent = dst.parent
            if parent not in made:
                parent.mkdir(parents=True, exist_ok=True)
                made.add(parent)
            try:
                dst.unlink(missing_ok=True)
                os.link(current / rel, dst)
            except OSError:
                src = current / rel if (current / rel).is_file() else site_root / rel
                if src.is_file():
                    shutil.copy2(src, dst)

    def recycle_journaled(self) -> tuple[Path, set[str]] | None:
        """Like ``recycle``, for a publish from the change log: the oldest release as the next work
        directory and the paths changed since it (the store's journals of the releases after it),
        without reading any manifest; None when a journal is missing."""
        current = self.current_release()
        releases = self.releases()
        spare = [r for r in releases if r != current]
        if (current is None or not spare or len(spare) + 1 < max(2, self.keep_releases)
                or releases[-1] != current):
            return None
        oldest = spare[0]
        after = [r.name for r in releases if r.name > oldest.name]
        store = self.store()
        if not set(after) <= store.journaled():
            return None
        changed = store.journal_since(after)
        work = self.begin()
        work.rmdir()
        os.rename(oldest, work)
        return work, changed

    def commit(self, work: Path, manifest: Manifest | None, retired: Retired | None = None) -> Path:
        """Seal the release and make it live with one atomic rename of a symlink. ``manifest``
        None: a release made from the change log, which the store describes (``publish.store``)."""
        mid = new_manifest_id()
        if manifest is not None:
            atomic_write(work / LOCAL_MANIFEST, dump_manifest(manifest, mid=mid, retired=retired), private=True)
        else:
            (work / LOCAL_MANIFEST).unlink(missing_ok=True)  # a recycled release's: not this one's
        final = self.releases_dir / work.name.removeprefix(".tmp-")
        os.rename(work, final)
        self._point_to(final)
        self.manifest_id = mid
        self._prune(final)
        return final

    def _point_to(self, release: Path) -> None:
        if self.dest.is_dir() and not self.dest.is_symlink():
            self.dest.rmdir()  # only ever an empty directory (check() refuses others)
        replace_with_symlink(self.dest, os.path.relpath(release, self.dest.parent))

    def _prune(self, live: Path) -> None:
        releases = self.releases()
        keep = set(releases[-max(2, self.keep_releases) :]) | {live}
        for old in releases:
            if old not in keep:
                shutil.rmtree(old, ignore_errors=True)

    def rollback(self) -> Path:
        current = self.current_release()
        releases = self.releases()
        older = [r for r in releases if current is None or r.name < current.name]
        if not older:
            raise PublishError(_("没有可回滚的上一个版本（%(path)s）。") % {"path": self.dest})
        self._point_to(older[-1])
        return older[-1]
