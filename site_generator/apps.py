from django.apps import AppConfig


class SiteGeneratorConfig(AppConfig):
    name = "site_generator"
    verbose_name = "静态站点生成"
