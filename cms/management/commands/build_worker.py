"""``govsite build_worker``: the build queue's worker plus the clock (scheduled publishing and
expiry every minute, the daily self-inspection): ``db_worker`` on the ``builds`` queue, with the
same options, and no cron."""

from django.utils.translation import gettext_lazy as _
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from cms.build.schedule import Ticker


class Command(DbWorkerCommand):
    help = _("运行站点生成队列的工作进程，并按时执行定时发布、到期下线和每日自查。")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="builds", backend_name="builds")
        parser.add_argument("--no-schedule", action="store_true", help=_("不执行定时发布和每日任务"))

    def handle(self, *args, no_schedule: bool = False, **options):
        ticker = None
        if not no_schedule and not options.get("batch"):
            ticker = Ticker()
            ticker.start()
        try:
            super().handle(*args, **options)
        finally:
            if ticker is not None:
                ticker.stop()
