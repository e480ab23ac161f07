from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from services import workdays


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
