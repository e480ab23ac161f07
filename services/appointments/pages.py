"""The appointments page on the static site: the booking and cancelling widget, windows listed."""

from __future__ import annotations

from cms.service_modules import PageSet, PageSpec
from services import conf
from services.appointments.models import Window


def site_pages() -> list[PageSet]:
    windows = [{"id": w.pk, "name": w.name, "department": w.department.name, "place": w.place,
                "items": w.item_list(), "notice": w.notice}
               for w in Window.objects.filter(active=True).select_related("department")]
    return [PageSet("appointments", [PageSpec("appointments/index.html", "appointments/index.html", {
        "api_base": conf.api_base(), "windows": windows,
        "meta": {"title": "预约办理", "column": "办事服务", "canonical": "/appointments/"},
    })])]
