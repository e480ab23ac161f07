"""``govsite import_documents FILE.jsonl``: import documents in the JSONL exchange format."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.exchange.extraction import extract_pending
from cms.exchange.importer import AttachmentFiles, import_records
from cms.exchange.reporting import ImportReporter
from content_models.filestore import FileStore
from content_models.record import iter_jsonl_lines


class Command(BaseCommand):
    requires_system_checks = []  # a data command: start fast, independent of admin/URL checks
    help = _(
        "导入 JSONL 交换格式的公开文件（按 id 新增或更新，并执行 update/withdraw/create 变更记录）。"
        "有错误的行会连同行号列出并跳过，其余照常导入；默认退出码为 0，加 --strict 时有错误行则退出码为 2。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("JSONL 文件路径"))
        parser.add_argument(
            "--files", type=Path, metavar="DIR",
            help=_("附件文件所在目录：附件的 file 是相对于该目录的路径（http/https 地址作为外部链接保留）"),
        )
        parser.add_argument(
            "--extract", action="store_true",
            help=_("导入后提取新附件中的文字供搜索使用（也可以之后单独运行 govsite extract_attachments）"),
        )
        parser.add_argument("--quiet", action="store_true", help=_("不显示进度和警告（仍显示错误行和汇总）"))
        parser.add_argument("--strict", action="store_true", help=_("有任何错误行时以退出码 2 结束"))

    def handle(self, *args, file: str, quiet: bool, strict: bool, files: Path | None = None,
               extract: bool = False, **options):
        try:
            with open(file, "rb") as fh:
                fh.read(1)
        except FileNotFoundError:
            raise CommandError(_("找不到文件：%s") % file) from None
        except IsADirectoryError:
            raise CommandError(_("这是一个目录，不是文件：%s") % file) from None
        except OSError as exc:
            raise CommandError(_("无法读取文件 %(file)s：%(error)s") % {"file": file, "error": exc.strerror}) from None
        if files is not None and not files.is_dir():
            raise CommandError(_("附件目录不存在或不是目录：%s") % files)
        reporter = ImportReporter(self.stderr, quiet=quiet)
        summary = import_records(
            iter_jsonl_lines(file), progress=reporter.progress, on_problem=reporter.problem,
            files=AttachmentFiles(FileStore(settings.GOVSITE_FILES_DIR), files),
        )
        self.stdout.write(summary.as_text())
        if extract:
            extracted = extract_pending(on_problem=lambda message: self.stderr.write(message))
            self.stdout.write(extracted.as_text())
        if strict and summary.bad:
            raise CommandError(_("有 %d 行未能导入") % summary.bad, returncode=2)
