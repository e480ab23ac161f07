"""``govsite load_sample``: fill the CMS with the project's own deterministic sample documents."""

import orjson
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cms.demo.sample import generate_sample
from cms.demo.structure import create_sample_structure
from cms.exchange.importer import import_records
from cms.exchange.reporting import ImportReporter


class Command(BaseCommand):
    requires_system_checks = []  # a data command: start fast, independent of admin/URL checks
    help = _("导入示例公开文件（南安市各部门，确定性生成；重复执行只会更新，不会重复）。")

    def add_arguments(self, parser):
        parser.add_argument("--docs", type=int, default=2400, help=_("文件数量（默认 2400）"))
        parser.add_argument("--seed", type=int, default=1, help=_("随机种子（默认 1）"))
        parser.add_argument("--edits", type=int, default=0, help=_("追加的变更记录数量（默认 0）"))
        parser.add_argument("--quiet", action="store_true", help=_("不显示进度和警告"))

    def handle(self, *args, docs: int, seed: int, edits: int, quiet: bool, **options):
        if docs < 0 or edits < 0:
            raise CommandError(_("文件数量和变更记录数量不能为负数"))
        reporter = ImportReporter(self.stderr, quiet=quiet)
        lines = (orjson.dumps(record) for record in generate_sample(docs=docs, seed=seed, edits=edits))
        summary = import_records(lines, progress=reporter.progress, on_problem=reporter.problem)
        self.stdout.write(summary.as_text())
        if create_sample_structure():
            self.stdout.write(_("已创建示例栏目和栏目单页（公开指南、公开制度、机构职能、领导信息、联系我们）"))
