"""One publish per target at a time: an flock on the machine, a lock object in the bucket."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command

from publish.errors import PublishError
from publish.lock import LOCK_NAME, PublishLocked, file_lock, local_lock_path
from publish.runner import publish
from publish.targets import LocalDirTarget, S3Options, S3Target
from tests import test_publish_sites as sites
from tests.test_publish_s3 import FailingAfter, many_pages
from tests.test_publish_sites import SITE_FILES_V1, bucket_state, change_one_document, write_site

s3_endpoint, s3, bucket = sites.s3_endpoint, sites.s3, sites.bucket
ROOT = Path(__file__).resolve().parent.parent
BUSY = "另一个发布任务正在向该目标发布，请稍后再试"


def read_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".govsite")
    }


class Paused:
    """A publish in a thread that stops inside its run (in its progress callback) until released."""

    def __init__(self, site: Path, target, **kwargs):
        self.inside = threading.Event()
        self.go = threading.Event()
        self.result = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(site, target), kwargs=kwargs)

    def progress(self, message: str) -> None:
        if not self.inside.is_set():
            self.inside.set()
            assert self.go.wait(30)

    def _run(self, site, target, **kwargs) -> None:
        try:
            self.result = publish(site, target, progress=self.progress, progress_interval=0, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised by finish()
            self.error = exc

    def start(self) -> Paused:
        self.thread.start()
        assert self.inside.wait(30), "the publish should reach its uploads"
        return self

    def finish(self):
        self.go.set()
        self.thread.join(30)
        if self.error:
            raise self.error
        return self.result


# -- local directory ------------------------------------------------------------------------------


def test_second_local_publish_waits_for_the_first_and_builds_on_it(tmp_path):
    first_site = write_site(tmp_path / "a", SITE_FILES_V1)
    v2 = change_one_document(SITE_FILES_V1)
    second_site = write_site(tmp_path / "b", v2)
    dest = tmp_path / "www"

    first = Paused(first_site, LocalDirTarget(dest)).start()  # copying its files, target held
    waited: list[str] = []
    second_result = {}

    def second() -> None:
        second_result["summary"] = publish(
            second_site, LocalDirTarget(dest), progress=waited.append, lock_timeout=30
        )

    thread = threading.Thread(target=second)
    thread.start()
    deadline = time.monotonic() + 10
    while not waited and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any("等待其完成" in m for m in waited), waited
    assert not dest.exists()  # the second did not slip in while the first was copying
    assert len(first.finish().uploads) == len(SITE_FILES_V1)
    thread.join(30)

    # the second ran after the first and planned against the first's release
    assert sorted(second_result["summary"].uploads) == ["docs/2/index.html", "feed.xml", "list/index.html"]
    assert read_tree(dest) == v2
    assert len(LocalDirTarget(dest).releases()) == 2


def test_local_publish_with_no_wait_fails_with_a_clear_message(tmp_path):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    dest = tmp_path / "www"
    first = Paused(site, LocalDirTarget(dest)).start()
    started = time.monotonic()
    with pytest.raises(PublishLocked, match=BUSY):
        publish(site, LocalDirTarget(dest), lock_timeout=0)
    assert time.monotonic() - started < 2
    with pytest.raises(PublishLocked, match=BUSY):
        publish(site, LocalDirTarget(dest), lock_timeout=0.3)
    first.finish()
    assert read_tree(dest) == SITE_FILES_V1
    assert publish(site, LocalDirTarget(dest), lock_timeout=0).uploads == []  # free again


def test_commands_report_a_held_target_in_chinese_without_traceback(tmp_path, capsys):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    dest = tmp_path / "www"
    # another process's publish (or rollback) holding the target
    with file_lock(local_lock_path(LocalDirTarget(dest)), target=str(dest), deadline=0):
        with pytest.raises(SystemExit) as exit_info:
            call_command(
                "publish_site", "--to", str(dest), "--site", str(site), "--quiet", "--lock-timeout", "0"
            )
        assert exit_info.value.code == 1
        assert BUSY in capsys.readouterr().err

        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "publish",
                "--site",
                str(site),
                "--to",
                str(dest),
                "--lock-timeout",
                "0.5",
            ],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert BUSY in done.stderr and "Traceback" not in done.stderr
        assert not dest.exists()
    call_command("publish_site", "--to", str(dest), "--site", str(site), "--quiet", "--lock-timeout", "0")
    assert read_tree(dest) == SITE_FILES_V1


# -- S3: the lock object ------------------------------------------------------------------------


def target_for(endpoint: str, bucket: str, **options) -> S3Target:
    return S3Target(bucket, "www", S3Options(endpoint_url=endpoint, **options))


def put_foreign_lock(s3, bucket: str, ttl: float) -> None:
    body = {"owner": "someone-else", "holder": "机器B pid 4242", "ttl": ttl}
    s3.put_object(Bucket=bucket, Key=f"www/{LOCK_NAME}", Body=orjson.dumps(body))


def lock_object(s3, bucket: str) -> dict | None:
    try:
        return orjson.loads(s3.get_object(Bucket=bucket, Key=f"www/{LOCK_NAME}")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def test_a_held_bucket_lock_makes_another_publish_fail_or_wait(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    put_foreign_lock(s3, bucket, ttl=600)

    with pytest.raises(PublishLocked, match=BUSY) as info:
        publish(site, target_for(s3_endpoint, bucket), lock_timeout=1)
    assert "机器B pid 4242" in str(info.value)
    assert bucket_state(s3, bucket, "www/") == {}  # nothing written
    assert lock_object(s3, bucket)["owner"] == "someone-else"  # and the holder's lock untouched

    # the holder finishes while we wait: we go on and publish
    threading.Timer(1.0, lambda: s3.delete_object(Bucket=bucket, Key=f"www/{LOCK_NAME}")).start()
    messages: list[str] = []
    summary = publish(site, target_for(s3_endpoint, bucket), lock_timeout=30, progress=messages.append)
    assert any("等待其完成" in m for m in messages)
    assert len(summary.uploads) == len(SITE_FILES_V1)
    assert lock_object(s3, bucket) is None


def test_an_expired_bucket_lock_is_taken_over(tmp_path, s3, s3_endpoint, bucket):
    """A publish killed without releasing its lock blocks the target for one TTL at most."""
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    put_foreign_lock(s3, bucket, ttl=0.5)
    time.sleep(1.2)  # older than its TTL by the store's clock (Last-Modified has whole seconds)
    messages: list[str] = []
    summary = publish(site, target_for(s3_endpoint, bucket), lock_timeout=0, progress=messages.append)
    assert len(summary.uploads) == len(SITE_FILES_V1)
    assert any("已接管" in m and "机器B pid 4242" in m for m in messages), messages
    assert lock_object(s3, bucket) is None


def test_the_bucket_lock_is_held_during_the_run_and_removed_after_success(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    seen: list[dict | None] = []
    target = target_for(s3_endpoint, bucket)
    publish(site, target, progress=lambda _m: seen.append(lock_object(s3, bucket)), progress_interval=0)
    assert seen and all(lock and lock["ttl"] == 120 for lock in seen)
    assert lock_object(s3, bucket) is None
    # the lock's own requests are not counted as the site's
    # objects, journal, and the manifest: a first publish writes its first base and the head (ADR 0157)
    assert target.requests["PutObject"] == len(SITE_FILES_V1) + 3


def test_the_bucket_lock_is_removed_after_a_failed_publish(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", many_pages(20, "v1"))
    failing = FailingAfter(bucket, "www", S3Options(endpoint_url=s3_endpoint, workers=2), budget=5)
    with pytest.raises(PublishError, match="网络中断"):
        publish(site, failing)
    assert lock_object(s3, bucket) is None
    # and the next publish goes straight ahead
    assert publish(site, target_for(s3_endpoint, bucket), lock_timeout=0).resumed


def test_a_long_publish_renews_its_lock(tmp_path, s3, s3_endpoint, bucket):
    """Past its TTL a running publish still holds the target: it renews the lock as it goes."""
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    other = write_site(tmp_path / "other", change_one_document(SITE_FILES_V1))
    first = Paused(site, target_for(s3_endpoint, bucket), lock_ttl=2).start()
    try:
        time.sleep(3.0)  # longer than the TTL
        assert lock_object(s3, bucket)["ttl"] == 2
        with pytest.raises(PublishLocked, match=BUSY):
            publish(other, target_for(s3_endpoint, bucket), lock_timeout=0)
    finally:
        summary = first.finish()
    assert len(summary.uploads) == len(SITE_FILES_V1)
    assert lock_object(s3, bucket) is None
    assert "深入" not in s3.get_object(Bucket=bucket, Key="www/docs/2/index.html")["Body"].read().decode()
