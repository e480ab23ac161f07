"""``govsite inspect [--json] [--external]``: the self-inspection (自查) of the site, as the national
checklist would count it; every finding links to the thing to fix. The report is also kept for the
admin's 网站自查 page."""

import orjson
from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy as _

from cms.inspection.checks import run_inspection
from cms.inspection.report import save


class Command(BaseCommand):
    help = _("按政府网站检查指标自查：栏目更新、空白栏目、首页更新、互动回应、公开时限、链接、元数据、错别字。")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
        parser.add_argument("--external", action="store_true", help=_("同时检查外部链接（联网，较慢）"))
        parser.add_argument("--external-limit", type=int, default=300, help=_("最多检查的外部链接数（默认 300）"))
        parser.add_argument("--no-save", action="store_true", help=_("不保存为后台显示的最新报告"))

    def handle(self, *args, json: bool, external: bool, external_limit: int, no_save: bool, **options):
        report = run_inspection(external=external, external_limit=max(0, external_limit))
        if not no_save:
            save(report)
        if json:
            self.stdout.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
        else:
            self.stdout.write(report.as_text())
