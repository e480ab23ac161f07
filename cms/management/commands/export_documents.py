"""``govsite export_documents OUT.jsonl``: write the published documents in the JSONL exchange format."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.exchange.exporter import iter_document_records
from content_models.record import write_jsonl


class Command(BaseCommand):
    requires_system_checks = []  # a data command: start fast, independent of admin/URL checks
    help = _("把已发布的公开文件导出为 JSONL 交换格式（先写临时文件再改名，不会留下写了一半的文件）。")

    def add_arguments(self, parser):
        parser.add_argument("out", help=_("输出文件路径"))

    def handle(self, *args, out: str, **options):
        started = time.perf_counter()
        try:
            count = write_jsonl(iter_document_records(), out)
        except IsADirectoryError:
            raise CommandError(_("这是一个目录，不能写入：%s") % out) from None
        except OSError as exc:
            raise CommandError(_("无法写入 %(file)s：%(error)s") % {"file": out, "error": exc.strerror}) from None
        seconds = time.perf_counter() - started
        self.stdout.write(_("已导出 %(count)d 个文件到 %(file)s，用时 %(seconds).1f 秒") % {
            "count": count, "file": out, "seconds": seconds,
        })
