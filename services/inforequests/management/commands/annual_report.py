"""``govsite annual_report --year YYYY [--department SITE]``: compute, check and publish the year's
政府信息公开工作年度报告 (``services.inforequests.report``)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from content_models.models import Department
from services.inforequests import report as annual
from services.inforequests.publishing import ReportNotReconciled, publish


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # a report run, not a deployment check: start fast
    help = "计算、核对并发布政府信息公开工作年度报告（国家规定格式）：主动公开、依申请公开、行政复议和行政诉讼情况。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，例如 2025")
        parser.add_argument("--department", default="", help="部门站点代号；不填为本级政府（全部部门）")
        parser.add_argument("--dry-run", action="store_true", help="只计算和核对，不发布")
        parser.add_argument("--csv", action="store_true", help="把表格以 CSV 写到标准输出")

    def handle(self, *args, year: int, department: str, dry_run: bool, csv: bool, **options):
        if not 2008 <= year <= timezone.localdate().year:
            raise CommandError(f"年度应在 2008 到 {timezone.localdate().year} 之间")
        dept = None
        if department:
            dept = Department.objects.filter(slug=department).first()
            if dept is None:
                raise CommandError(f"没有代号为 {department} 的部门站点")
        report = annual.compute(year, dept)
        if csv:
            sys.stdout.buffer.write(annual.to_csv(report))
        else:
            self.print_tables(report)
        if report.problems:
            raise CommandError("表格合计核对不通过：\n" + "\n".join(report.problems))
        self.stderr.write("合计核对通过")
        if dry_run:
            return
        try:
            doc = publish(report)
        except ReportNotReconciled as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"已发布：{doc.title}（{doc.department.name}，信息类别 年度报告，附 CSV）")

    def print_tables(self, report: annual.Report) -> None:
        self.stdout.write(report.title)
        for table in (report.published, report.requests, report.reviews):
            self.stdout.write(f"\n{table.title}\n项目\t" + "\t".join(table.columns))
            for label, values in table.rows:
                self.stdout.write(label + "\t" + "\t".join(str(v) for v in values))
