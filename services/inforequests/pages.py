"""The module's page on the static site: ``inforequests/index.html`` with the request
form (条例 Article 29's fields) and the case lookup, calling the module's API."""

from __future__ import annotations

from cms.service_modules import PageSet, PageSpec
from content_models.models import Department
from services import conf


def site_pages() -> list[PageSet]:
    departments = list(Department.objects.order_by("sort_order", "slug").values("slug", "name"))
    return [PageSet("inforequests", [PageSpec("inforequests/index.html", "inforequests/index.html", {
        "api_base": conf.api_base(), "departments": departments,
        "meta": {"title": "依申请公开", "column": "政府信息公开", "canonical": "/inforequests/"},
    })])]
