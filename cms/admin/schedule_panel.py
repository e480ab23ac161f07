"""The dashboard's 定时发布与到期 panel: what goes live or expires next, and when the worker's clock
last ran (``cms.build.schedule``), for the documents and pages the user may edit."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.models import Revision

from cms.admin import permissions
from cms.build.schedule import last_run
from cms.models import StandalonePage
from content_models.models import DisclosureDocument

LIMIT = 10


def _edit_url(obj) -> str:
    meta = obj._meta
    try:
        return reverse(f"wagtailsnippets_{meta.app_label}_{meta.model_name}:edit", args=[obj.pk])
    except NoReverseMatch:
        return ""


class SchedulePanel(Component):
    name = "govsite_schedule"
    order = 120
    template_name = "cms/admin/schedule_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        ids = permissions.department_ids_for_user(self.user)
        going_live = []
        for model in (DisclosureDocument, StandalonePage):
            objects = model.objects.all() if ids is None else model.objects.filter(department_id__in=ids)
            revisions = (Revision.objects.filter(base_content_type=ContentType.objects.get_for_model(model),
                                                 approved_go_live_at__isnull=False)
                         .order_by("approved_go_live_at")[:LIMIT * 3])
            by_pk = {str(o.pk): o for o in objects.filter(pk__in=[r.object_id for r in revisions])}
            going_live += [(r.approved_go_live_at, by_pk[r.object_id]) for r in revisions if r.object_id in by_pk]
            expiring = objects.filter(live=True, expire_at__isnull=False).order_by("expire_at")[:LIMIT]
            going_live += [(o.expire_at, o, "expire") for o in expiring]
        rows = []
        for item in sorted(going_live, key=lambda x: x[0])[:LIMIT]:
            when, obj = item[0], item[1]
            rows.append({"when": timezone.localtime(when), "title": str(obj), "url": _edit_url(obj),
                         "action": "到期下线" if len(item) > 2 else "定时发布"})
        return {"rows": rows, "last_run": last_run()}
