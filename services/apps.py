import threading

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from cms.service_modules import server_started
from services import notify, workdays

_pending = threading.local()


def _announce() -> None:
    years = getattr(_pending, "years", None)
    if not years:
        return  # an earlier callback of the same transaction announced them
    _pending.years = set()
    workdays.forget_admin_calendar()
    workdays.calendar_changed.send(sender=ServicesConfig, years=frozenset(years))


def _forget_calendar(instance, **kwargs) -> None:
    """A year or a day changed: forget the calendar now, and once the change is committed tell the
    modules which years changed (once per transaction, however many days an admin form saved)."""
    workdays.forget_admin_calendar()
    year = getattr(instance, "year", None) or getattr(getattr(instance, "date", None), "year", None)
    if year is None:
        return
    if not hasattr(_pending, "years"):
        _pending.years = set()
    _pending.years.add(year)
    transaction.on_commit(_announce)


def _warn_at_server_start(**kwargs) -> None:
    notify.warn_if_demo_only()


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "互动服务"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        for model in (self.get_model("CalendarYear"), self.get_model("CalendarDay")):
            post_save.connect(_forget_calendar, sender=model, dispatch_uid=f"calendar-save-{model.__name__}")
            post_delete.connect(_forget_calendar, sender=model, dispatch_uid=f"calendar-delete-{model.__name__}")
        server_started.connect(_warn_at_server_start, dispatch_uid="services-demo-sms-warning")
