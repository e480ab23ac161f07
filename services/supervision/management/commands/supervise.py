from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.dateparse import parse_date

from services.module import run_periodic
from services.supervision.checks import run_supervision


class Command(BaseCommand):
    help = "电子监察：检查各服务模块办件的办理期限，发出预警、黄牌、红牌（可重复运行，不会重复发牌）；并运行各模块的每日任务"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按指定日期检查（YYYY-MM-DD），用于补跑或测试")

    def handle(self, *args, today=None, **options):
        day = None
        if today:
            try:
                day = parse_date(today)
            except ValueError:  # well formed but no such day (2027-13-45)
                day = None
            if day is None:
                self.stderr.write(f"--today 日期不正确：“{today}”，应为存在的日期，格式 YYYY-MM-DD")
                raise SystemExit(2)
        report = run_supervision(day)
        self.stdout.write(report.summary())
        for line in run_periodic(day or timezone.localdate()):
            self.stdout.write(line)
