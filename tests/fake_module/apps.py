"""A service module that exists only for the tests: one folder plus one entry in GOVSITE_SERVICES
(``tests.fake_module``) give it an API route and a page on the static site, with no edit anywhere
else (tests/test_services_module.py)."""

from pathlib import Path

from services.module import ServiceModuleConfig


class FakeModuleConfig(ServiceModuleConfig):
    name = "tests.fake_module"
    label = "tests_fake_module"
    verbose_name = "测试服务"
    router = "tests.fake_module.api.router"
    site_pages = "tests.fake_module.pages.site_pages"
    site_link = ("测试服务", "/fake_module/")
    site_templates = Path(__file__).resolve().parent / "site_templates"
