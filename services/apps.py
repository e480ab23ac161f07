from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "互动服务"
