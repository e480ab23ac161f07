"""``govsite export_guides FILE.jsonl``: the catalogue of service items in the import format."""

import orjson
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from content_models.atomic import atomic_write
from services.guides.exchange import export_records


class Command(BaseCommand):
    requires_system_checks = []
    help = _("把服务事项目录导出为 JSONL（与 import_guides 的格式相同）。")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("输出的 JSONL 文件路径，- 表示标准输出"))

    def handle(self, *args, file: str, **options):
        lines = [orjson.dumps(r) + b"\n" for r in export_records()]
        if file == "-":
            for line in lines:
                self.stdout.write(line.decode(), ending="")
            return
        try:
            atomic_write(file, b"".join(lines))
        except OSError as exc:
            raise CommandError(_("无法写入文件 %(file)s：%(error)s") % {"file": file, "error": exc.strerror}) from None
        self.stderr.write(_("已导出 %d 个事项") % len(lines))
