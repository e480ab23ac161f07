from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "services.status"
    label = "services_status"
    verbose_name = "办件查询"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from services.status.provider import StatusCases

        self.case_provider = StatusCases()
