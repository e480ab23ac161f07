"""One publish per target at a time.

Two publishes to the same target (the build worker's auto-publish and a ``govsite
publish_site``, or two machines) would interleave their journal and manifest writes, so a
publish holds the target exclusively from reading the target's records to sealing them:

- on the machine: an ``flock`` on a lock file. For a local directory it lies beside the target
  (``.<name>.lock``), where every publisher to that directory finds it whatever its data dir,
  and it is all a directory target needs; for a bucket it lies in the publish state directory
  (``<data dir>/publish/locks/``). The kernel drops it when the process dies.
- across machines, for a bucket: a lock object ``<prefix>/.govsite/lock`` created with a
  conditional PUT (``If-None-Match: *``: only one creator wins), naming its owner and a
  time-to-live. The holder renews it (``If-Match`` its own ETag) every quarter of the TTL and
  deletes it at the end (only while it is still its own). A lock not renewed for a TTL, by the
  store's clock (``Last-Modified`` against the ``Date`` of the answer: no client clock skew),
  belongs to a dead publish and is taken over with a PUT conditional on its ETag, so a killed
  publish blocks the target for one TTL at most.

A publish that cannot get the target within ``timeout`` seconds fails with
``PublishLocked`` (a PublishError: one Chinese sentence, no traceback).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from .errors import PublishError, _
from .targets import LocalDirTarget

if TYPE_CHECKING:
    from .targets import S3Target

LOCK_NAME = ".govsite/lock"
DEFAULT_TIMEOUT = 300.0
DEFAULT_TTL = 120.0
MIN_TTL = 2.0
# ClientError codes of a conditional write that lost (the object is there / changed / is being written)
_LOST_RACE = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409", "NoSuchKey", "404"}

ReportFn = Callable[..., None]


class PublishLocked(PublishError):
    """Another publish holds the target and did not finish within the wait."""


def busy_message(target: str, waited: float, holder: str = "") -> str:
    text = _("另一个发布任务正在向该目标发布，请稍后再试（%(target)s，已等待 %(sec)d 秒）。") % {
        "target": target,
        "sec": round(waited),
    }
    if holder:
        text += _("持有者：%(holder)s。") % {"holder": holder}
    return text


def _noop() -> None:
    return None


@contextlib.contextmanager
def exclusive(
    target: S3Target | LocalDirTarget,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    ttl: float = DEFAULT_TTL,
    lock_dir: str | os.PathLike | None = None,
    report: ReportFn | None = None,
) -> Iterator[Callable[[], None]]:
    """Hold ``target`` for one publish; yields a guard to call before writes that matter (it
    raises when the bucket lock was lost, i.e. the holder stalled for more than a TTL)."""
    deadline = time.monotonic() + max(0.0, timeout)
    if isinstance(target, LocalDirTarget):
        with file_lock(local_lock_path(target), target=target.url, deadline=deadline, report=report):
            yield _noop
        return
    flock = (
        file_lock(
            Path(lock_dir) / s3_lock_file_name(target.url),
            target=target.url,
            deadline=deadline,
            report=report,
        )
        if lock_dir is not None
        else contextlib.nullcontext()
    )
    with flock:
        lock = S3Lock(target, ttl=ttl, report=report)
        lock.acquire(deadline)
        try:
            yield lock.check
        finally:
            lock.release()


def local_lock_path(target: LocalDirTarget) -> Path:
    return target.dest.parent / f".{target.dest.name}.lock"


def s3_lock_file_name(url: str) -> str:
    return f"s3-{hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:16]}.lock"


@contextlib.contextmanager
def file_lock(path: Path, *, target: str, deadline: float, report: ReportFn | None = None) -> Iterator[None]:
    """An exclusive flock on ``path``, waiting until ``deadline`` (time.monotonic()) at most.
    Released by the kernel if the process dies; two opens in one process exclude each other too."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise PublishError(
            _("无法创建发布锁文件 %(path)s：%(error)s") % {"path": path, "error": exc}
        ) from None
    try:
        wait = _Wait(target, deadline, report)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                wait.pause(0.1)
        try:
            with contextlib.suppress(OSError):  # who holds it, for a curious administrator
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{socket.gethostname()} pid {os.getpid()}\n".encode(), 0)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class _Wait:
    """Waiting for another publish's lock: gives up at ``deadline`` (time.monotonic()) with
    PublishLocked, says once that it waits."""

    def __init__(self, target: str, deadline: float, report: ReportFn | None):
        self.target = target
        self.deadline = deadline
        self.report = report
        self.start = time.monotonic()
        self.told = False

    def pause(self, seconds: float, holder: str = "") -> None:
        now = time.monotonic()
        if now >= self.deadline:
            raise PublishLocked(busy_message(self.target, now - self.start, holder))
        if self.report and not self.told:
            self.report(_("另一个发布任务正在向该目标发布，等待其完成……"), force=True)
            self.told = True
        time.sleep(max(0.0, min(seconds, self.deadline - now)))


@dataclass
class Held:
    """The lock object as read: its owner, ETag, how long since it was written, and its TTL."""

    owner: str
    etag: str
    age: float
    ttl: float
    holder: str

    @property
    def expired(self) -> bool:
        return self.age >= self.ttl


class S3Lock:
    """The lock object of a bucket target (see the module docstring)."""

    def __init__(self, target: S3Target, *, ttl: float = DEFAULT_TTL, report: ReportFn | None = None):
        self.target = target
        self.ttl = max(MIN_TTL, float(ttl))
        self.report = report
        self.owner = uuid.uuid4().hex
        self.holder = f"{socket.gethostname()} pid {os.getpid()}"
        self.etag: str | None = None
        self.lost = False
        self.conditional = True  # False on a store that does not implement conditional writes
        self.client = target._make_client(count=False)  # its requests are not the site's
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewed = 0.0

    @property
    def key(self) -> str:
        return self.target.key(LOCK_NAME)

    # -- acquire ------------------------------------------------------------------------------

    def acquire(self, deadline: float) -> None:
        wait = _Wait(self.target.url, deadline, self.report)
        while True:
            if self._create():
                break
            held = self.read()
            if held is None:
                continue  # released in between: try again at once
            if held.owner == self.owner:  # our own PUT, retried after its answer was lost
                self.etag = held.etag
                break
            if held.expired and self._take_over(held):
                if self.report:
                    self.report(
                        _("上一次发布（%(holder)s）的锁已过期（%(age)d 秒未续期），已接管。")
                        % {"holder": held.holder or "?", "age": round(held.age)},
                        force=True,
                    )
                break
            wait.pause(min(1.0, max(0.05, held.ttl - held.age)) * (0.75 + random.random() / 2), held.holder)
        self._renewed = time.monotonic()
        self._thread = threading.Thread(target=self._heartbeat, name="govsite-publish-lock", daemon=True)
        self._thread.start()

    def _body(self) -> bytes:
        now = datetime.now(UTC)
        return orjson.dumps(
            {
                "owner": self.owner,
                "holder": self.holder,
                "ttl": self.ttl,
                "written": now.isoformat(timespec="milliseconds"),
                "expires": (now + timedelta(seconds=self.ttl)).isoformat(timespec="seconds"),
            }
        )

    def _put(self, what: str, **condition: str) -> bool:
        """PUT the lock object under ``condition``; False when the condition failed."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 - S3 only (docs/architecture.md)

        def put() -> bool:
            if condition and not self.conditional:
                return self._unconditional(condition)
            try:
                resp = self.client.put_object(
                    Bucket=self.target.bucket,
                    Key=self.key,
                    Body=self._body(),
                    ContentType="application/json",
                    CacheControl="no-store",
                    **condition,
                )
            except ClientError as exc:
                if _code(exc) in _LOST_RACE:
                    return False
                if _code(exc) == "NotImplemented" and self.conditional and condition:
                    # an S3-compatible store without conditional writes: best effort (see docs)
                    self.conditional = False
                    return self._unconditional(condition)
                raise
            self.etag = resp.get("ETag")
            return True

        return self.target._call(what, put)

    def _unconditional(self, condition: dict[str, str]) -> bool:
        held = self.read()
        if condition.get("IfNoneMatch") == "*" and held is not None:
            return False
        if "IfMatch" in condition and (held is None or held.etag != condition["IfMatch"]):
            return False
        resp = self.client.put_object(
            Bucket=self.target.bucket, Key=self.key, Body=self._body(), ContentType="application/json"
        )
        self.etag = resp.get("ETag")
        again = self.read()  # whoever wrote last wins; a loser sees it here
        return again is not None and again.owner == self.owner

    def _create(self) -> bool:
        return self._put(_("获取发布锁"), IfNoneMatch="*")

    def _take_over(self, held: Held) -> bool:
        return self._put(_("接管过期的发布锁"), IfMatch=held.etag)

    def read(self) -> Held | None:
        """The lock object as it stands (None when there is none)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 - S3 only (docs/architecture.md)

        def get() -> Held | None:
            try:
                resp = self.client.get_object(Bucket=self.target.bucket, Key=self.key)
                raw = resp["Body"].read()
            except ClientError as exc:
                if _code(exc) in ("NoSuchKey", "404"):
                    return None
                raise
            try:
                doc: dict[str, Any] = orjson.loads(raw)
                owner, ttl, holder = str(doc["owner"]), float(doc["ttl"]), str(doc.get("holder", ""))
            except Exception:  # noqa: BLE001 - garbage in our lock's place: it expires like any lock
                owner, ttl, holder = "", self.ttl, ""
            return Held(owner, resp.get("ETag", ""), _age(resp), ttl, holder)

        return self.target._call(_("读取发布锁"), get)

    # -- hold ---------------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        interval = self.ttl / 4
        while not self._stop.wait(interval):
            try:
                if self._put(_("续期发布锁"), IfMatch=self.etag or ""):
                    self._renewed = time.monotonic()
                else:
                    self.lost = True  # taken over: we were silent for more than a TTL
                    return
            except PublishError:
                if time.monotonic() - self._renewed >= self.ttl:
                    self.lost = True
                    return

    def check(self) -> None:
        if self.lost or (time.monotonic() - self._renewed >= self.ttl and self._thread is not None):
            self.lost = True
            raise PublishError(
                _(
                    "发布锁已失效（%(sec)d 秒未能续期，可能已被其他发布任务接管），本次发布停止；"
                    "再次运行即可接续完成。"
                )
                % {"sec": round(self.ttl)}
            )

    # -- release ------------------------------------------------------------------------------

    def release(self) -> None:
        """Delete the lock object if it is still ours. Never raises: a lock left behind expires."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lost:
            return
        from botocore.exceptions import ClientError  # noqa: PLC0415 - S3 only (docs/architecture.md)

        def delete() -> None:
            held = self.read()
            if held is None or held.owner != self.owner:
                return
            try:
                self.client.delete_object(Bucket=self.target.bucket, Key=self.key, IfMatch=held.etag)
            except ClientError as exc:
                if _code(exc) in _LOST_RACE:
                    return
                if _code(exc) != "NotImplemented":
                    raise
                self.client.delete_object(Bucket=self.target.bucket, Key=self.key)

        try:
            self.target._call(_("释放发布锁"), delete)
        except PublishError as exc:
            if self.report:
                self.report(
                    _("发布锁未能删除（%(error)s），它将在 %(sec)d 秒后过期。")
                    % {"error": exc, "sec": round(self.ttl)},
                    force=True,
                )


def _code(exc) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _age(resp: dict[str, Any]) -> float:
    """Seconds since the object was last written, by the store's clock when it says its time."""
    modified = resp.get("LastModified")
    if modified is None:
        return 0.0
    now = None
    date = resp.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if date:
        with contextlib.suppress(TypeError, ValueError):
            now = parsedate_to_datetime(date)
    if now is None or now.tzinfo is None:
        now = datetime.now(UTC)
    return max(0.0, (now - modified).total_seconds())
