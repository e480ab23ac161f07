"""``govsite extract_attachments``: read the words of stored attachment files not read yet."""

from django.core.management.base import BaseCommand

from cms.exchange.extraction import extract_pending


class Command(BaseCommand):
    requires_system_checks = []
    help = ("提取附件（PDF、Word、Excel、OFD）中的文字，供站内搜索使用。每个文件只读取一次；"
            "无法读取的文件会列出并跳过。完成后自动排队生成受影响的文件页面和搜索索引。")

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=2, help="并行进程数（默认 2）")
        parser.add_argument("--quiet", action="store_true", help="不显示进度")

    def handle(self, *args, processes: int, quiet: bool, **options):
        def progress(summary):
            if not quiet:
                self.stderr.write(f"已处理 {summary.files} 个文件，每秒 {summary.rate:.0f} 个")

        summary = extract_pending(processes=processes, progress=progress,
                                  on_problem=lambda message: self.stderr.write(message))
        self.stdout.write(summary.as_text())
