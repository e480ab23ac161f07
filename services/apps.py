import logging

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from services import notify, workdays

logger = logging.getLogger("services.notify")


def _forget_calendar(**kwargs) -> None:
    workdays.forget_admin_calendar()


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "互动服务"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        for model in (self.get_model("CalendarYear"), self.get_model("CalendarDay")):
            post_save.connect(_forget_calendar, sender=model, dispatch_uid=f"calendar-save-{model.__name__}")
            post_delete.connect(_forget_calendar, sender=model, dispatch_uid=f"calendar-delete-{model.__name__}")
        demo = notify.demo_only_notifiers()
        if demo:
            logger.warning(
                "短信网关 %s 仅供演示：短信只写入日志，不会发送。生产环境请在 GOVSITE_NOTIFIERS 中改用 "
                "services.notify.HttpSmsGateway 并设置 GOVSITE_SMS_URL、GOVSITE_SMS_SECRET "
                "(demo-only SMS gateway: messages are logged, never sent)", ", ".join(demo),
            )
