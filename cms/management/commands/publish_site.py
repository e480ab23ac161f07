"""``govsite publish_site --to DIR|s3://bucket/prefix [--dry-run] [--rollback]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cms import publishing
from publish import cli
from publish.errors import PublishError


class Command(BaseCommand):
    help = _("把生成好的静态站点发布到本地目录（原子切换）或兼容 S3 的对象存储（只传变化的文件）。")

    def add_arguments(self, parser):
        cli.add_arguments(parser, site_default=str(publishing.default_site_dir()))

    def handle(self, *args, **options):
        if not options.get("to"):
            options["to"] = publishing.auto_publish_target()
        try:
            cli.run(
                options,
                publishing.publish_settings(),
                out=self.stdout,
                err=self.stderr,
                state_dir_for=publishing.publish_state_dir,
                lock_dir=publishing.publish_lock_dir(),
            )
        except PublishError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(1) from None
        except KeyboardInterrupt:
            self.stderr.write(_("发布已中断；再次运行同一命令即可接续完成。"))
            raise SystemExit(130) from None
