"""Wagtail hooks: registrations only (what is registered lives in ``cms.admin``)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet

from cms.admin import permissions
from cms.admin.inspection import WordCheckViewSet, inspection_report, warn_about_words, warn_on_open
from cms.admin.richtext_links import register_features as register_link_features
from cms.admin.schedule_panel import SchedulePanel
from cms.admin.viewsets import DisclosureGroup

register_snippet(DisclosureGroup)
hooks.register("register_rich_text_features", register_link_features)
hooks.register("construct_document_chooser_queryset", permissions.files_for_request)
hooks.register("construct_image_chooser_queryset", permissions.files_for_request)


@hooks.register("construct_homepage_panels")
def add_schedule_panel(request, panels) -> None:
    panels.append(SchedulePanel(request.user))


register_snippet(WordCheckViewSet)
hooks.register("after_create_snippet", warn_about_words)
hooks.register("after_edit_snippet", warn_about_words)
hooks.register("before_edit_snippet", warn_on_open)


@hooks.register("register_admin_urls")
def inspection_urls():
    return [path("inspection/", inspection_report, name="govsite_inspection")]


class _AdminsOnlyMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.user_sees_all_departments(request.user)


@hooks.register("register_admin_menu_item")
def inspection_menu_item():
    return _AdminsOnlyMenuItem(_("网站自查"), reverse("govsite_inspection"), icon_name="tasks", order=160)


@hooks.register("construct_help_menu")
def drop_english_help(request, items) -> None:
    """Wagtail's editor guide and release notes are English pages: an all-Chinese admin leaves them out."""
    items[:] = [i for i in items if not (i.name.startswith("whats-new") or i.name == "editor-guide")]
