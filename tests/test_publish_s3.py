"""Publishing to an S3 bucket over real HTTP (moto server on loopback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publish.errors import PublishError
from publish.plan import wave_of
from publish.runner import publish
from publish.targets import JOURNAL_NAME, MANIFEST_NAME, S3Options, S3Target
from tests import test_publish_sites as sites
from tests.test_publish_sites import SITE_FILES_V1, bucket_state, change_one_document, write_site

# shared fixtures (a loopback moto server, a client, a fresh bucket)
s3_endpoint, s3, bucket = sites.s3_endpoint, sites.s3, sites.bucket

ROOT = Path(__file__).resolve().parent.parent


def journal_open(s3, bucket: str, prefix: str = "www") -> bool:
    """True when the target holds a journal that its manifest does not complete (a run was cut short)."""
    import gzip

    import orjson

    from publish.manifest import load_head

    try:
        journal = orjson.loads(
            gzip.decompress(s3.get_object(Bucket=bucket, Key=f"{prefix}/{JOURNAL_NAME}")["Body"].read())
        )
    except s3.exceptions.NoSuchKey:
        return False
    _base, _changes, info = load_head(
        s3.get_object(Bucket=bucket, Key=f"{prefix}/{MANIFEST_NAME}")["Body"].read()
    )
    return journal["run"] != info.run


def target_for(endpoint: str, bucket: str, prefix: str = "www", **options) -> S3Target:
    return S3Target(bucket, prefix, S3Options(endpoint_url=endpoint, **options))


def test_first_publish_uploads_everything_with_the_right_headers(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    target = target_for(s3_endpoint, bucket)
    summary = publish(site, target)

    assert sorted(summary.uploads) == sorted(SITE_FILES_V1)
    assert summary.deletes == [] and summary.unchanged == 0
    state = bucket_state(s3, bucket, "www/")
    assert sorted(state) == sorted(SITE_FILES_V1)

    def head(rel):
        h = s3.head_object(Bucket=bucket, Key=f"www/{rel}")
        return h["ContentType"], h["CacheControl"]

    assert head("docs/1/index.html") == ("text/html; charset=utf-8", "public, max-age=300")
    assert head("feed.xml") == ("application/rss+xml; charset=utf-8", "public, max-age=300")
    assert head("atom.xml")[0] == "application/atom+xml; charset=utf-8"
    assert head("sitemap.xml")[0] == "application/xml; charset=utf-8"
    assert head("static/app.3fa9c2d1e5.css") == (
        "text/css; charset=utf-8",
        "public, max-age=31536000, immutable",
    )
    assert head("static/app.0a1b2c3d.js")[1] == "public, max-age=31536000, immutable"
    assert head("search/shards/ab12cd34ef.bin")[1] == "public, max-age=31536000, immutable"
    # the unhashed file that names the shards must not be cached for a year
    assert head("search/meta.json") == ("application/json; charset=utf-8", "public, max-age=300")
    assert head("static/logo.png")[0] == "image/png"
    assert head("files/2024/附件一 实施细则.pdf")[0] == "application/pdf"
    # the manifest is there and names the run of the journal: the run is complete
    assert not journal_open(s3, bucket)


def test_unchanged_site_sends_nothing(tmp_path, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    again = target_for(s3_endpoint, bucket)
    summary = publish(site, again)
    assert summary.uploads == [] and summary.deletes == []
    assert summary.unchanged == len(SITE_FILES_V1)
    assert again.write_requests == 0


def test_one_document_change_uploads_only_the_affected_objects(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    v2 = change_one_document(SITE_FILES_V1)
    write_site(site, v2)

    target = target_for(s3_endpoint, bucket)
    summary = publish(site, target)

    assert sorted(summary.uploads) == ["docs/2/index.html", "feed.xml", "list/index.html"]
    assert summary.unchanged == len(SITE_FILES_V1) - 3
    # three pages, plus the journal before and the manifest after
    assert target.requests["PutObject"] == 5
    assert target.write_requests == 5
    body = s3.get_object(Bucket=bucket, Key="www/docs/2/index.html")["Body"].read().decode()
    assert "深入开展" in body


def test_a_publish_writes_the_manifests_changes_not_the_whole_manifest(tmp_path, s3, s3_endpoint, bucket):
    """ADR 0157: the bucket's manifest is a content-named base plus a head with the entries changed
    since it. A publish writes the head alone (its size follows the changes, not the site); past
    ``log_max`` changed entries it writes a new base and deletes the old one. Read back, the
    manifest is always the published site's, from a fresh process (no cache) as from the cache."""
    from publish.manifest import load_head, scan_site

    files = {f"docs/{n}/index.html": f"<p>文件 {n}</p>" for n in range(400)}
    site = write_site(tmp_path / "site", files)
    cache = tmp_path / "state" / "hashes.json"
    cache.parent.mkdir()
    publish(site, target_for(s3_endpoint, bucket), cache_path=cache)

    def stored() -> tuple[str, dict, bytes]:
        data = s3.get_object(Bucket=bucket, Key=f"www/{MANIFEST_NAME}")["Body"].read()
        base, changes, _info = load_head(data)
        return base, changes, data

    def bases() -> list[str]:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="www/.govsite/manifest-base-").get("Contents", [])
        return [o["Key"].rsplit("/", 1)[1] for o in listed]

    first_base, changes, _ = stored()
    assert changes == {} and bases() == [first_base]
    whole = s3.get_object(Bucket=bucket, Key=f"www/.govsite/{first_base}")["ContentLength"]
    for step in range(1, 4):  # one document changed, one added, one withdrawn per publish
        files[f"docs/{step}/index.html"] = f"<p>文件 {step}，修订 {step}</p>"
        files[f"docs/new-{step}/index.html"] = "<p>新文件</p>"
        del files[f"docs/{100 + step}/index.html"]
        write_site(site, files)
        target = target_for(s3_endpoint, bucket)
        order: list[tuple[str, str]] = []
        target.client.meta.events.register(
            "before-send.s3", lambda event_name, request, order=order, **kw: order.append(
                (event_name.rsplit(".", 1)[-1], request.url.split("/www/", 1)[-1])))
        publish(site, target, cache_path=cache)
        base, changes, head = stored()
        assert base == first_base and bases() == [first_base]  # the base is not written again
        assert len(changes) == 3 * step and sum(v is None for v in changes.values()) == step
        assert [k for op, k in order if op == "PutObject"].count(MANIFEST_NAME) == 1
        assert not [k for op, k in order if "manifest-base" in k and op != "GetObject"]
        assert len(head) < whole / 5, (len(head), whole)
        want = scan_site(site)
        assert target_for(s3_endpoint, bucket).read_manifest() == want  # no cache: base and head read
        cached = target_for(s3_endpoint, bucket)
        cached.manifest_cache = cache.with_name(next(p.name for p in cache.parent.glob("manifest-*.json.gz")))
        assert cached.read_manifest() == want
        assert target.write_requests == 1 + 2 + 1 + 1  # journal, 2 pages, the deletion, the head
    # Past log_max the head is folded into a new base; the old base leaves the bucket.
    for n in range(400, 410):
        files[f"docs/{n}/index.html"] = "<p>又一个</p>"
    write_site(site, files)
    target = target_for(s3_endpoint, bucket)
    target.log_max = 12
    publish(site, target, cache_path=cache)
    base, changes, _ = stored()
    assert base != first_base and changes == {} and bases() == [base]
    assert target_for(s3_endpoint, bucket).read_manifest() == scan_site(site)


def test_hashed_files_leaving_the_site_are_deleted_after_a_grace_period(tmp_path, s3, s3_endpoint, bucket):
    """Pages cached for 5 minutes may still name the old asset: it goes one grace period later."""
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    v2 = {k: v for k, v in SITE_FILES_V1.items() if k != "static/app.0a1b2c3d.js"}
    v2["static/app.99aa88bb.js"] = "console.log('新')"
    write_site(site, v2)

    first = publish(site, target_for(s3_endpoint, bucket), retire_grace=3600)
    assert first.deletes == [] and first.retired == 1
    assert "static/app.0a1b2c3d.js" in bucket_state(s3, bucket, "www/")
    again = publish(site, target_for(s3_endpoint, bucket), retire_grace=3600)
    assert again.deletes == [] and again.retired == 1  # still within the grace period
    late = publish(site, target_for(s3_endpoint, bucket), retire_grace=0)
    assert late.deletes == ["static/app.0a1b2c3d.js"] and late.retired == 0
    assert sorted(bucket_state(s3, bucket, "www/")) == sorted(v2)


def test_withdrawn_document_is_deleted(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    v2 = dict(SITE_FILES_V1)
    del v2["docs/3/index.html"]
    v2["list/2/index.html"] = "<!doctype html><title>文件列表 第2页</title>"
    write_site(site, v2)

    summary = publish(site, target_for(s3_endpoint, bucket))

    assert summary.deletes == ["docs/3/index.html"]
    assert summary.uploads == ["list/2/index.html"]
    assert sorted(bucket_state(s3, bucket, "www/")) == sorted(v2)


def test_upload_order_keeps_links_working(tmp_path, s3_endpoint, bucket):
    """Assets and new pages land before the pages linking to them; deletions come last."""
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    v2 = {k: v for k, v in SITE_FILES_V1.items() if k != "docs/3/index.html"}
    v2.update(
        {
            "docs/4/index.html": "<!doctype html><title>新文件</title>",
            "static/app.77aa88bb.css": "body{}",
            "search/shards/1234abcd99.bin": "new shard",
            "search/meta.json": '{"v": 2}',
            "list/index.html": SITE_FILES_V1["list/index.html"] + "<a href='/docs/4/'>四</a>",
            "feed.xml": SITE_FILES_V1["feed.xml"].replace("最新文件", "最新文件 四"),
            "index.html": SITE_FILES_V1["index.html"] + "<a href='/docs/4/'>四</a>",
        }
    )
    write_site(site, v2)
    target = target_for(s3_endpoint, bucket, workers=4)
    order: list[tuple[str, str]] = []

    def record(event_name, request, **kwargs):
        order.append((event_name.rsplit(".", 1)[-1], request.url.split("/www/", 1)[-1]))

    target.client.meta.events.register("before-send.s3", record)
    publish(site, target)

    puts = [key for op, key in order if op == "PutObject" and not key.startswith(".govsite")]
    waves = [wave_of(k, k == "docs/4/index.html") for k in puts]
    assert waves == sorted(waves), list(zip(puts, waves, strict=True))
    assert waves[0] == 0 and puts[-1] == "index.html"
    ops = [op for op, key in order]
    assert ops.index("DeleteObjects") > max(
        i for i, (op, _k) in enumerate(order) if op == "PutObject" and _k in puts
    )
    # the journal is the first object written, the manifest the last
    writes = [(op, key) for op, key in order if op in ("PutObject", "DeleteObjects")]
    assert writes[0] == ("PutObject", JOURNAL_NAME) and writes[-1] == ("PutObject", MANIFEST_NAME)


def test_dry_run_changes_nothing(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    before = bucket_state(s3, bucket, "www/")
    manifest_before = s3.get_object(Bucket=bucket, Key=f"www/{MANIFEST_NAME}")["Body"].read()
    v2 = change_one_document(SITE_FILES_V1)
    del v2["docs/3/index.html"]
    write_site(site, v2)

    target = target_for(s3_endpoint, bucket)
    summary = publish(site, target, dry_run=True)

    assert sorted(summary.uploads) == ["docs/2/index.html", "feed.xml", "list/index.html"]
    assert summary.deletes == ["docs/3/index.html"]
    assert target.write_requests == 0
    assert bucket_state(s3, bucket, "www/") == before
    assert s3.get_object(Bucket=bucket, Key=f"www/{MANIFEST_NAME}")["Body"].read() == manifest_before


class FailingAfter(S3Target):
    """A target whose network dies after ``budget`` uploads (the rest of the run fails)."""

    def __init__(self, *args, budget: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget = budget

    def upload(self, rel, path, entry):
        with self._lock:
            self.budget -= 1
            dead = self.budget < 0
        if dead:
            raise PublishError("网络中断（测试注入）")
        super().upload(rel, path, entry)


def many_pages(n: int, tag: str) -> dict[str, str]:
    files = dict(SITE_FILES_V1)
    for i in range(n):
        files[f"docs/p{i}/index.html"] = f"<!doctype html><title>文件 {i}</title><p>{tag}</p>"
    return files


@pytest.mark.parametrize("then", ["same-build", "reverted-build"])
def test_interrupted_publish_resumes_and_ends_identical(tmp_path, s3, s3_endpoint, bucket, then):
    """Killed half way (network gone after some uploads), the next run converges: nothing lost,
    nothing stale, even when the build went back to the old content in between."""
    site = write_site(tmp_path / "site", many_pages(40, "v1"))
    publish(site, target_for(s3_endpoint, bucket))
    v2 = many_pages(30, "v2")  # 30 pages changed, 10 withdrawn, docs/3 withdrawn, a new asset
    del v2["docs/3/index.html"]
    v2["static/app.5566ccdd.css"] = "new"
    write_site(site, v2)

    with pytest.raises(PublishError):
        publish(site, FailingAfter(bucket, "www", S3Options(endpoint_url=s3_endpoint, workers=3), budget=12))
    assert journal_open(s3, bucket)  # the run left an open journal

    final = v2 if then == "same-build" else many_pages(40, "v1")
    write_site(site, final)
    resumed = publish(site, target_for(s3_endpoint, bucket))
    assert resumed.resumed

    reference_bucket = f"{bucket}-ref"
    s3.create_bucket(Bucket=reference_bucket)
    publish(site, target_for(s3_endpoint, reference_bucket))
    state, reference = bucket_state(s3, bucket, "www/"), bucket_state(s3, reference_bucket, "www/")
    # a hashed file the killed run sent for a build that no longer has it is retired, not lost
    # track of: kept for the grace period (cached pages may name it), then deleted
    extra = sorted(set(state) - set(reference))
    assert extra == ([] if then == "same-build" else ["static/app.5566ccdd.css"])
    assert {k: v for k, v in state.items() if k not in extra} == reference
    # and it is sealed: the next run has nothing to do and no journal is open
    quiet = target_for(s3_endpoint, bucket)
    assert publish(site, quiet).uploads == [] and quiet.write_requests == 0
    assert not journal_open(s3, bucket)
    publish(site, target_for(s3_endpoint, bucket), retire_grace=0)
    assert bucket_state(s3, bucket, "www/") == reference
    assert len(reference) == len(final)


def test_killed_publish_process_resumes_and_ends_identical(tmp_path, s3, s3_endpoint, bucket):
    """SIGKILL a real ``python -m publish`` process in the middle of its uploads, then run it again."""
    site = write_site(tmp_path / "site", many_pages(250, "v1"))
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": s3_endpoint,  # the usual AWS variable is enough for an S3-compatible store
        "PYTHONPATH": str(ROOT),
        # the killed run leaves its lock object behind: it must stop counting within seconds
        "GOVSITE_PUBLISH_LOCK_TTL": "3",
    }
    cmd = [
        sys.executable,
        "-m",
        "publish",
        "--site",
        str(site),
        "--to",
        f"s3://{bucket}/www",
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        count = s3.list_objects_v2(Bucket=bucket, Prefix="www/docs/").get("KeyCount", 0)
        if count >= 30:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = len(bucket_state(s3, bucket, "www/"))
    assert 0 < partial < len(many_pages(250, "v1")), "the kill should land half way"

    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "接续" in done.stdout
    assert "已接管" in done.stderr  # the dead run's lock expired and was taken over

    s3.create_bucket(Bucket=f"{bucket}-ref")
    publish(site, target_for(s3_endpoint, f"{bucket}-ref"))
    assert bucket_state(s3, bucket, "www/") == bucket_state(s3, f"{bucket}-ref", "www/")


def test_transient_errors_are_retried(tmp_path, s3_endpoint, bucket):
    from botocore.exceptions import ConnectionClosedError

    site = write_site(tmp_path / "site", SITE_FILES_V1)
    target = target_for(s3_endpoint, bucket, backoff=0.01)
    real_put = target.client.put_object
    failures = {"left": 3}

    def flaky_put(**kwargs):
        if kwargs["Key"].endswith("docs/1/index.html") and failures["left"]:
            failures["left"] -= 1
            raise ConnectionClosedError(endpoint_url=s3_endpoint)
        return real_put(**kwargs)

    target.client.put_object = flaky_put
    summary = publish(site, target)
    assert failures["left"] == 0
    assert "docs/1/index.html" in summary.uploads


def test_missing_bucket_and_dead_endpoint_are_clear_errors(tmp_path, s3_endpoint):
    from tests.test_publish_sites import free_port

    site = write_site(tmp_path / "site", SITE_FILES_V1)
    with pytest.raises(PublishError, match="存储桶 no-such-bucket-here 不存在"):
        publish(site, target_for(s3_endpoint, "no-such-bucket-here"))
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PublishError, match="无法连接对象存储服务"):
        publish(site, target_for(dead, "any-bucket", retries=2, backoff=0.01))


def test_verify_repairs_a_tampered_bucket(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    s3.put_object(Bucket=bucket, Key="www/docs/1/index.html", Body=b"defaced")
    s3.put_object(Bucket=bucket, Key="www/stray.html", Body=b"left over")

    summary = publish(site, target_for(s3_endpoint, bucket), verify=True)

    assert summary.uploads == ["docs/1/index.html"]
    assert summary.deletes == ["stray.html"]
    reference = f"{bucket}-ref"
    s3.create_bucket(Bucket=reference)
    publish(site, target_for(s3_endpoint, reference))
    assert bucket_state(s3, bucket, "www/") == bucket_state(s3, reference, "www/")


def test_run_killed_just_before_its_manifest_needs_no_resend(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    write_site(site, change_one_document(SITE_FILES_V1))

    class DiesAtTheEnd(S3Target):
        def write_manifest(self, *args, **kwargs):
            raise PublishError("进程被终止（测试注入）")

    with pytest.raises(PublishError):
        publish(site, DiesAtTheEnd(bucket, "www", S3Options(endpoint_url=s3_endpoint)))
    assert journal_open(s3, bucket)
    target = target_for(s3_endpoint, bucket)
    summary = publish(site, target)
    assert summary.resumed and summary.uploads == [] and summary.deletes == []
    # three HEADs for the journal's paths confirm the uploads; one write seals the run
    assert target.requests["HeadObject"] == 3 and target.write_requests == 1
    assert not journal_open(s3, bucket)


def test_file_rewritten_during_a_publish_stops_it_and_the_rerun_converges(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)

    class BuildRunsMeanwhile(S3Target):
        def upload(self, rel, path, entry):
            if rel == "docs/1/index.html":
                path.write_text("<p>新的内容</p>")
            super().upload(rel, path, entry)

    with pytest.raises(PublishError, match="在发布过程中被改动"):
        publish(site, BuildRunsMeanwhile(bucket, "www", S3Options(endpoint_url=s3_endpoint)))
    publish(site, target_for(s3_endpoint, bucket))
    body = s3.get_object(Bucket=bucket, Key="www/docs/1/index.html")["Body"].read().decode()
    assert body == "<p>新的内容</p>"


def test_long_publish_reports_progress(tmp_path, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    lines: list[str] = []
    publish(site, target_for(s3_endpoint, bucket), progress=lines.append, progress_interval=0)
    n = len(SITE_FILES_V1)
    assert f"已上传 {n}/{n} 个对象……" in lines, lines


def test_damaged_manifest_means_checking_every_object(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))
    v2 = dict(SITE_FILES_V1)
    del v2["docs/3/index.html"]
    write_site(site, v2)
    s3.put_object(Bucket=bucket, Key=f"www/{MANIFEST_NAME}", Body=b"\x1f\x8b garbage")

    target = target_for(s3_endpoint, bucket)
    summary = publish(site, target)

    assert summary.deletes == ["docs/3/index.html"]  # found by listing, not by the lost manifest
    assert target.requests["ListObjectsV2"] == 1
    assert sorted(bucket_state(s3, bucket, "www/")) == sorted(v2)


def test_publish_after_builds_reads_only_changes_while_the_chain_holds(
    tmp_path, s3, s3_endpoint, bucket, monkeypatch
):
    """The build plugin's path: manifest on the target + the builds' change log, no tree walk,
    and a walk again as soon as the manifest is not the one the last publish wrote."""
    import publish.manifest as manifest_module
    from publish.changes import ChangeLog

    walks = []
    real_iter = manifest_module.iter_files
    monkeypatch.setattr(manifest_module, "iter_files", lambda root: walks.append(root) or real_iter(root))
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    log = ChangeLog(tmp_path / "state" / "changes")

    def run(target, **kw):
        return publish(
            site, target, changes=log, trust_changes=True, cache_path=tmp_path / "state/h.json", **kw
        )

    run(target_for(s3_endpoint, bucket))
    assert len(walks) == 1  # nothing to trust yet

    files = change_one_document(SITE_FILES_V1)
    write_site(site, files)
    log.record(["docs/2/index.html", "list/index.html", "feed.xml"])
    assert sorted(run(target_for(s3_endpoint, bucket)).uploads) == [
        "docs/2/index.html",
        "feed.xml",
        "list/index.html",
    ]
    assert len(walks) == 1

    # a failed publish keeps the log; the next one sends both builds' changes
    files["docs/1/index.html"] += "<p>补充</p>"
    write_site(site, files)
    log.record(["docs/1/index.html"])
    with pytest.raises(PublishError):
        run(FailingAfter(bucket, "www", S3Options(endpoint_url=s3_endpoint), budget=0))
    files["list/2/index.html"] += "<p>更正</p>"
    write_site(site, files)
    log.record(["list/2/index.html"])
    summary = run(target_for(s3_endpoint, bucket))
    assert (
        sorted(summary.uploads) == ["docs/1/index.html", "list/2/index.html"] and summary.scanned == "changes"
    )
    assert len(walks) == 1 and bucket_state(s3, bucket, "www/") == bucket_state_of(s3, s3_endpoint, site)

    # someone else published to the target: its manifest is not ours any more, so walk
    files["robots.txt"] = "User-agent: *\nDisallow: /tmp/\n"
    write_site(site, files)
    publish(site, target_for(s3_endpoint, bucket))  # e.g. another machine, no change log
    files["docs/2/index.html"] += "<p>再次修订</p>"
    write_site(site, files)
    log.record(["docs/2/index.html"])
    walks.clear()
    summary = run(target_for(s3_endpoint, bucket))
    assert summary.uploads == ["docs/2/index.html"] and summary.scanned == "walk" and len(walks) == 1


def bucket_state_of(s3, endpoint, site) -> dict:
    """What an uninterrupted publish of ``site`` into a fresh bucket looks like."""
    import uuid

    name = f"ref-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    publish(site, target_for(endpoint, name))
    return bucket_state(s3, name, "www/")


def test_manifest_is_not_downloaded_again_while_it_is_the_one_we_wrote(tmp_path, s3, s3_endpoint, bucket):
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    cache = tmp_path / "state" / "hashes.json"
    publish(site, target_for(s3_endpoint, bucket), cache_path=cache)
    write_site(site, change_one_document(SITE_FILES_V1))

    second = target_for(s3_endpoint, bucket)
    assert len(publish(site, second, cache_path=cache).uploads) == 3
    assert second.manifest_from_cache  # "304 Not Modified": our copy is current

    write_site(site, SITE_FILES_V1)
    publish(site, target_for(s3_endpoint, bucket))  # another publisher, without our state
    third = target_for(s3_endpoint, bucket)
    summary = publish(site, third, cache_path=cache)
    assert not third.manifest_from_cache and summary.uploads == []  # fresh manifest read
