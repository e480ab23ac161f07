"""Arguments and output shared by ``govsite publish_site`` and ``python -m publish``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .cdn import cloudfront_purger
from .changes import ChangeLog
from .errors import PublishError, _
from .headers import HeaderRules
from .lock import DEFAULT_TIMEOUT, DEFAULT_TTL
from .runner import PublishSummary, publish, rollback
from .targets import S3Options, open_target


def add_arguments(parser: argparse.ArgumentParser, *, site_default: str | None = None) -> None:
    parser.add_argument("--to", dest="to", help=_("发布目标：本地目录路径，或 s3://桶名/前缀"))
    parser.add_argument(
        "--site", dest="site", default=site_default, help=_("要发布的站点目录（默认 GOVSITE_SITE_DIR）")
    )
    parser.add_argument("--dry-run", action="store_true", help=_("只列出将要上传和删除的内容，不做任何更改"))
    parser.add_argument("--rollback", action="store_true", help=_("本地目录：切回上一个发布版本"))
    parser.add_argument(
        "--verify", action="store_true", help=_("列出目标上的全部对象逐一核对（修复被改动的目标）")
    )
    parser.add_argument("--workers", type=int, default=None, help=_("并发上传数（默认 8）"))
    parser.add_argument(
        "--endpoint-url", default=None, help=_("兼容 S3 的对象存储地址（如 OSS、COS、OBS、MinIO）")
    )
    parser.add_argument("--region", default=None, help=_("对象存储区域"))
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=None,
        help=_("另一个发布任务正在向同一目标发布时最多等待的秒数（默认 300；0 表示不等待）"),
    )
    parser.add_argument("--no-purge", action="store_true", help=_("不刷新 CDN"))
    parser.add_argument("--quiet", action="store_true", help=_("不显示进度"))


def run(
    options: dict[str, Any],
    settings: dict[str, Any],
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    state_dir_for: Callable[[str], Path | None] | None = None,
    trust_changes: bool = False,
    lock_dir: Path | None = None,
) -> PublishSummary | str:
    """Do what the arguments ask; raises PublishError with a message for the user (also
    ``PublishLocked`` when another publish holds the target past ``--lock-timeout``)."""
    to = options.get("to")
    if not to:
        raise PublishError(_("请用 --to 指定发布目标（本地目录，或 s3://桶名/前缀）。"))
    s3 = S3Options.from_mapping(
        {
            **settings,
            "endpoint_url": options.get("endpoint_url") or settings.get("endpoint_url"),
            "region": options.get("region") or settings.get("region"),
            "workers": options.get("workers") or settings.get("workers") or 8,
        }
    )
    target = open_target(to, s3=s3, keep_releases=int(settings.get("keep_releases") or 3))
    lock_timeout = _seconds(options.get("lock_timeout"), settings.get("lock_timeout"), DEFAULT_TIMEOUT)
    lock_ttl = _seconds(None, settings.get("lock_ttl"), DEFAULT_TTL)
    if options.get("rollback"):
        name = rollback(target, lock_timeout=lock_timeout)
        out.write(_("已回滚到版本 %(release)s（%(path)s）。") % {"release": name, "path": target.url} + "\n")
        return name
    site = options.get("site")
    if not site:
        raise PublishError(_("请用 --site 指定站点目录。"))
    purge = None
    dist = settings.get("cloudfront_distribution_id")
    if dist and not options.get("no_purge"):
        purge = cloudfront_purger(dist, max_paths=int(settings.get("cloudfront_max_paths") or 1000))
    quiet = options.get("quiet")
    state = state_dir_for(site) if state_dir_for else None
    summary = publish(
        site,
        target,
        dry_run=bool(options.get("dry_run")),
        verify=bool(options.get("verify")),
        workers=s3.workers,
        rules=HeaderRules(
            html_max_age=int(settings.get("html_max_age") or 300),
            default_max_age=int(settings.get("default_max_age") or 300),
        ),
        cache_path=state / "hashes.json" if state else None,
        changes=ChangeLog(state / "changes") if state else None,
        trust_changes=trust_changes,
        progress=None if quiet else (lambda msg: err.write(msg + "\n")),
        purge=purge,
        retire_grace=float(settings.get("retire_seconds", 3600) or 0),
        lock_timeout=lock_timeout,
        lock_ttl=lock_ttl,
        lock_dir=lock_dir,
    )
    if summary.dry_run:
        for rel in summary.uploads:
            out.write(_("上传  %(path)s") % {"path": rel} + "\n")
        for rel in summary.deletes:
            out.write(_("删除  %(path)s") % {"path": rel} + "\n")
    out.write(summary.text() + "\n")
    return summary


def _seconds(option: Any, setting: Any, default: float) -> float:
    for value in (option, setting):
        if value not in (None, ""):
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                raise PublishError(_("无效的秒数：%(value)s") % {"value": value}) from None
    return default


def main(argv: list[str] | None = None) -> int:
    """``python -m publish --site DIR --to URL``: the same publish without Django (settings from env)."""
    parser = argparse.ArgumentParser(prog="python -m publish", description=_("发布静态站点到目录或对象存储"))
    add_arguments(parser, site_default=os.environ.get("GOVSITE_SITE_DIR"))
    parser.add_argument("--state-dir", default=None, help=_("发布状态目录（文件哈希缓存，加快重复发布）"))
    args = vars(parser.parse_args(argv))
    settings = {
        "endpoint_url": os.environ.get("GOVSITE_PUBLISH_ENDPOINT_URL"),
        "addressing_style": os.environ.get("GOVSITE_PUBLISH_ADDRESSING_STYLE"),
        "cloudfront_distribution_id": os.environ.get("GOVSITE_PUBLISH_CLOUDFRONT_DISTRIBUTION_ID"),
        "lock_timeout": os.environ.get("GOVSITE_PUBLISH_LOCK_TIMEOUT"),
        "lock_ttl": os.environ.get("GOVSITE_PUBLISH_LOCK_TTL"),
    }
    state = args.pop("state_dir")
    try:
        run(
            args,
            settings,
            state_dir_for=(lambda _site: Path(state)) if state else None,
            lock_dir=Path(state) / "locks" if state else None,
        )
    except PublishError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(_("发布已中断；再次运行同一命令即可接续完成。") + "\n")
        return 130
    return 0
