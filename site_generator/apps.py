from django.apps import AppConfig


class SiteGeneratorConfig(AppConfig):
    name = "site_generator"
    verbose_name = "静态站点生成"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from site_generator import signals  # noqa: F401 - connects the publish/unpublish/delete handlers
