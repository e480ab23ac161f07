from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "services.letters"
    label = "services_letters"
    verbose_name = "网上咨询投诉建议"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from services.letters import signals  # noqa: F401
        from services.letters.provider import LetterCases

        self.case_provider = LetterCases()
