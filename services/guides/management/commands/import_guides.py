"""``govsite import_guides FILE.jsonl``: import service items (事项) of the catalogue."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from content_models.record import iter_jsonl_lines
from services.guides.exchange import import_lines


class Command(BaseCommand):
    requires_system_checks = []
    help = _("导入 JSONL 格式的服务事项目录（按事项编码新增或更新）。有错误的行会连同行号列出并跳过，其余照常导入；"
             "加 --strict 时有错误行则退出码为 2。")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("JSONL 文件路径"))
        parser.add_argument("--strict", action="store_true", help=_("有任何错误行时以退出码 2 结束"))

    def handle(self, *args, file: str, strict: bool, **options):
        path = Path(file)
        if path.is_dir():
            raise CommandError(_("这是一个目录，不是文件：%s") % file)
        if not path.is_file():
            raise CommandError(_("找不到文件：%s") % file)
        try:
            result = import_lines(iter_jsonl_lines(file), base_dir=path.resolve().parent,
                                  on_problem=lambda m: self.stderr.write(_("错误") + " " + m))
        except OSError as exc:
            raise CommandError(_("无法读取文件 %(file)s：%(error)s") % {"file": file, "error": exc.strerror}) from None
        self.stdout.write(result.as_text())
        if strict and result.bad:
            raise CommandError(_("有 %d 行未能导入") % result.bad, returncode=2)
