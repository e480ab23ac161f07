"""Wagtail hooks: registrations only (what is registered lives in ``cms.admin``)."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from cms.admin.schedule_panel import SchedulePanel
from cms.admin.viewsets import DisclosureGroup

register_snippet(DisclosureGroup)


@hooks.register("construct_homepage_panels")
def add_schedule_panel(request, panels) -> None:
    panels.append(SchedulePanel(request.user))
