"""``govsite publish_site``, the auto-publish build plugin and the CDN purge."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from cms.publishing import auto_publish_plugin, publish_state_dir
from publish.cdn import cloudfront_purger, invalidation_paths
from publish.runner import publish
from publish.targets import S3Options, S3Target
from tests import test_publish_sites as sites
from tests.test_publish_sites import SITE_FILES_V1, bucket_state, change_one_document, free_port, write_site

s3_endpoint, s3, bucket = sites.s3_endpoint, sites.s3, sites.bucket
ROOT = Path(__file__).resolve().parent.parent
GOVSITE = [sys.executable, "-c", "from cms.cli import main; main()"]


def test_command_publishes_with_the_endpoint_from_aws_environment(
    tmp_path, s3, s3_endpoint, bucket, monkeypatch, capsys
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    call_command("publish_site", "--to", f"s3://{bucket}/portal", "--site", str(site), "--quiet")
    out = capsys.readouterr().out
    assert f"上传 {len(SITE_FILES_V1)} 个" in out and "删除 0 个" in out
    assert sorted(bucket_state(s3, bucket, "portal/")) == sorted(SITE_FILES_V1)

    write_site(site, change_one_document(SITE_FILES_V1))
    call_command("publish_site", "--to", f"s3://{bucket}/portal", "--site", str(site), "--dry-run")
    out = capsys.readouterr().out
    assert "上传  docs/2/index.html" in out and "试运行" in out
    assert "深入" not in s3.get_object(Bucket=bucket, Key="portal/docs/2/index.html")["Body"].read().decode()


def test_command_reads_settings_and_defaults_to_the_site_dir(
    tmp_path, s3, s3_endpoint, bucket, settings, capsys
):
    """Endpoint from GOVSITE_PUBLISH, target from GOVSITE_AUTO_PUBLISH, site from GOVSITE_SITE_DIR
    (a symlink to the builder's release directory)."""
    release = write_site(tmp_path / "releases" / "r1", SITE_FILES_V1)
    (tmp_path / "site").symlink_to(release)
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.GOVSITE_PUBLISH = {"endpoint_url": s3_endpoint, "workers": 4, "html_max_age": 60}
    settings.GOVSITE_AUTO_PUBLISH = f"s3://{bucket}"
    call_command("publish_site", "--quiet")
    assert "发布完成" in capsys.readouterr().out
    head = s3.head_object(Bucket=bucket, Key="index.html")
    assert head["CacheControl"] == "public, max-age=60"


def test_command_directory_deploy_and_rollback(tmp_path, capsys):
    site = write_site(tmp_path / "build", SITE_FILES_V1)
    dest = tmp_path / "www"
    call_command("publish_site", "--to", str(dest), "--site", str(site), "--quiet")
    write_site(site, change_one_document(SITE_FILES_V1))
    call_command("publish_site", "--to", str(dest), "--site", str(site), "--quiet")
    assert "深入" in (dest / "docs/2/index.html").read_text()
    call_command("publish_site", "--to", str(dest), "--rollback")
    assert "已回滚" in capsys.readouterr().out
    assert "深入" not in (dest / "docs/2/index.html").read_text()


def run_govsite(*args, env_extra=None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([*GOVSITE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_command_error_exits_non_zero_without_traceback(tmp_path, s3_endpoint):
    """The real console script: a missing bucket is one Chinese sentence and exit code 1."""
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    done = run_govsite(
        "publish_site",
        "--site",
        str(site),
        "--to",
        "s3://no-such-bucket-x/site",
        env_extra={"AWS_ENDPOINT_URL": s3_endpoint},
    )
    assert done.returncode == 1
    assert "存储桶 no-such-bucket-x 不存在" in done.stderr
    assert "Traceback" not in done.stderr


def publish_site_error(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exit_info:
        call_command("publish_site", "--quiet", *args)
    assert exit_info.value.code == 1
    return capsys.readouterr().err


def test_command_errors_are_chinese_messages(tmp_path, s3_endpoint, settings, capsys):
    site = str(write_site(tmp_path / "site", SITE_FILES_V1))
    settings.GOVSITE_PUBLISH = {"endpoint_url": s3_endpoint, "retries": 2, "backoff": 0.01}
    assert "不支持的发布地址" in publish_site_error(capsys, "--site", site, "--to", "ftp://example.com/x")
    assert "缺少存储桶名" in publish_site_error(capsys, "--site", site, "--to", "s3://")
    assert "站点目录" in publish_site_error(
        capsys, "--site", str(tmp_path / "nothing"), "--to", "s3://some-bucket"
    )
    dead = f"http://127.0.0.1:{free_port()}"
    err = publish_site_error(capsys, "--site", site, "--to", "s3://any-bucket", "--endpoint-url", dead)
    assert "无法连接对象存储服务" in err


def test_wrong_credentials_are_a_clear_error(tmp_path, settings, capsys):
    """A store that checks signatures (moto server with authentication on) rejects bad keys."""
    import time

    import requests

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # A loaded machine can take seconds to start moto: wait for it (a read timeout while it
        # imports is "not ready yet", like a refused connection), then fail clearly.
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        site = str(write_site(tmp_path / "site", SITE_FILES_V1))
        settings.GOVSITE_PUBLISH = {
            "endpoint_url": f"http://127.0.0.1:{port}",
            "access_key_id": "WRONGKEY",
            "secret_access_key": "wrong",
        }
        err = publish_site_error(capsys, "--site", site, "--to", "s3://some-bucket")
    finally:
        server.terminate()
        server.wait()
    assert "拒绝了访问" in err and "访问密钥" in err, err


def test_build_plugin_publishes_after_a_build_goes_live(tmp_path, s3, s3_endpoint, bucket, settings):
    site = write_site(tmp_path / "live", SITE_FILES_V1)
    ctx = SimpleNamespace(out_dir=site, changed_paths=sorted(SITE_FILES_V1), full=True)

    settings.GOVSITE_AUTO_PUBLISH = None
    auto_publish_plugin().on_live(ctx)  # not configured: nothing happens
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)

    settings.GOVSITE_AUTO_PUBLISH = f"s3://{bucket}/auto"
    settings.GOVSITE_PUBLISH = {"endpoint_url": s3_endpoint}
    auto_publish_plugin().on_live(ctx)
    assert sorted(bucket_state(s3, bucket, "auto/")) == sorted(SITE_FILES_V1)

    write_site(site, change_one_document(SITE_FILES_V1))
    auto_publish_plugin().on_live(SimpleNamespace(out_dir=site, changed_paths=["docs/2/index.html"], full=False))
    assert "深入" in s3.get_object(Bucket=bucket, Key="auto/docs/2/index.html")["Body"].read().decode()


def test_build_plugin_publishes_only_what_the_build_changed(
    tmp_path, s3, s3_endpoint, bucket, settings, monkeypatch
):
    """After an incremental build the plugin looks only at ctx.changed_paths (no tree walk)."""
    from publish.changes import ChangeLog

    release = write_site(tmp_path / "releases" / "a", SITE_FILES_V1)
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    (tmp_path / "site").symlink_to(release)
    settings.GOVSITE_AUTO_PUBLISH = f"s3://{bucket}"
    settings.GOVSITE_PUBLISH = {"endpoint_url": s3_endpoint}
    auto_publish_plugin().on_live(SimpleNamespace(out_dir=release, changed_paths=sorted(SITE_FILES_V1), full=True))
    assert len(bucket_state(s3, bucket)) == len(SITE_FILES_V1)

    v2 = change_one_document(SITE_FILES_V1)
    del v2["docs/3/index.html"]
    write_site(release, v2)
    changed = ["docs/2/index.html", "docs/3/index.html", "feed.xml", "list/index.html"]

    def no_walk(root):
        raise AssertionError("an incremental auto-publish must not walk the site tree")

    monkeypatch.setattr("publish.manifest.iter_files", no_walk)
    auto_publish_plugin().on_live(SimpleNamespace(out_dir=release, changed_paths=changed, full=False))

    state = bucket_state(s3, bucket)
    assert sorted(state) == sorted(v2)
    assert "深入" in s3.get_object(Bucket=bucket, Key="docs/2/index.html")["Body"].read().decode()
    log = ChangeLog(publish_state_dir(settings.GOVSITE_SITE_DIR) / "changes")
    assert log.snapshot() == ([], set())  # consumed


def test_build_plugin_failure_is_logged_not_raised(tmp_path, settings, caplog):
    site = write_site(tmp_path / "live", SITE_FILES_V1)
    settings.GOVSITE_AUTO_PUBLISH = "s3://"
    with caplog.at_level(logging.ERROR, logger="govsite.publish"):
        auto_publish_plugin().on_live(SimpleNamespace(out_dir=site, changed_paths=[]))
    assert "自动发布" in caplog.text and "缺少存储桶名" in caplog.text


def test_cdn_purge_invalidates_the_changed_pages(tmp_path, s3_endpoint, bucket):
    import boto3

    cf = boto3.client("cloudfront", endpoint_url=s3_endpoint, region_name="us-east-1")
    dist = cf.create_distribution(
        DistributionConfig={
            "CallerReference": bucket,
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": f"{bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "allow-all",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )["Distribution"]["Id"]
    site = write_site(tmp_path / "site", SITE_FILES_V1)
    target = S3Target(bucket, "", S3Options(endpoint_url=s3_endpoint))
    publish(site, target)
    write_site(site, change_one_document(SITE_FILES_V1))

    summary = publish(
        site,
        S3Target(bucket, "", S3Options(endpoint_url=s3_endpoint)),
        purge=cloudfront_purger(dist, client=cf),
    )

    assert summary.purged == 4
    [inv] = cf.list_invalidations(DistributionId=dist)["InvalidationList"]["Items"]
    batch = cf.get_invalidation(DistributionId=dist, Id=inv["Id"])["Invalidation"]["InvalidationBatch"]
    paths = batch["Paths"]["Items"]
    assert sorted(paths) == ["/docs/2/", "/docs/2/index.html", "/list/", "/list/index.html"]


def test_cdn_paths_collapse_to_a_wildcard_when_many():
    assert invalidation_paths(["a/index.html", "b.html"]) == ["/a/index.html", "/a/", "/b.html"]
    assert invalidation_paths([f"d/{i}/index.html" for i in range(600)], max_paths=1000) == ["/*"]
    assert invalidation_paths(["政策/index.html"])[0] == "/%E6%94%BF%E7%AD%96/index.html"


@pytest.mark.parametrize("argv", [["--help"]])
def test_plain_python_entry_point_works_without_django(argv):
    done = subprocess.run(
        [sys.executable, "-m", "publish", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert done.returncode == 0 and "--dry-run" in done.stdout
