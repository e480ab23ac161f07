from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentModelsConfig(AppConfig):
    name = "content_models"
    verbose_name = _("公开内容")
    default_auto_field = "django.db.models.BigAutoField"
