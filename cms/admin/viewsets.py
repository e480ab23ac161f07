"""The 政务公开 menu of the Wagtail admin: documents and department sites as snippet viewsets.

Documents are snippets: editors get drafts, revisions, preview, locking, moderation and
scheduled publishing from Wagtail. Every document view is narrowed to the departments the user
edits (``cms.admin.permissions``), and a direct URL to another department's document is refused.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cms.admin import permissions
from cms.admin.choosers import LocalizedSnippetChooserViewSet
from cms.admin.forms import document_edit_handler
from cms.admin.search import SEARCH_FIELDS, DocumentFilterSet
from cms.admin.structure import ColumnViewSet, StandalonePageViewSet
from cms.admin.views import (
    DocumentChooseResultsView,
    DocumentChooseView,
    DocumentChosenMultipleView,
    DocumentChosenView,
    DocumentEditView,
    DocumentIndexView,
    DocumentStatusColumn,
    department_guard,
)
from cms.models import DepartmentReview
from content_models.models import Department, DisclosureDocument


class DocumentChooserViewSet(LocalizedSnippetChooserViewSet):
    choose_view_class = DocumentChooseView
    choose_results_view_class = DocumentChooseResultsView
    chosen_view_class = DocumentChosenView
    chosen_multiple_view_class = DocumentChosenMultipleView


class DocumentViewSet(SnippetViewSet):
    model = DisclosureDocument
    icon = "doc-full"
    menu_label = _("公开文件")
    menu_name = "disclosure-documents"
    edit_handler = document_edit_handler
    index_view_class = DocumentIndexView
    edit_view_class = DocumentEditView
    chooser_viewset_class = DocumentChooserViewSet
    search_backend_name = None
    search_fields = list(SEARCH_FIELDS)
    filterset_class = DocumentFilterSet
    ordering = ["-published_at", "-id"]
    list_per_page = 20
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = [
        "title",
        Column("doc_no", label=_("发文字号")),
        Column("organ", label=_("发布机构")),
        DateColumn("published_at", label=_("发布日期"), sort_key="published_at"),
        Column("validity", label=_("有效性")),
        DocumentStatusColumn(),
    ]
    list_export = ["title", "doc_no", "index_no", "organ", "category", "topic", "published_at", "validity"]

    @property
    def permission_policy(self):
        return permissions.DepartmentPermissionPolicy(self.model)

    def get_queryset(self, request):
        # The listing never shows bodies: leave them out of the rows a search sorts.
        qs = DisclosureDocument._default_manager.select_related("locale").defer("body", "summary", "keywords")
        return permissions.filter_documents_for_user(qs, request.user)

    def construct_view(self, view_class, **kwargs):
        return department_guard(super().construct_view(view_class, **kwargs))


class DepartmentViewSet(SnippetViewSet):
    """Department sites; only platform administrators have permissions on this model."""

    model = Department
    icon = "site"
    chooser_viewset_class = LocalizedSnippetChooserViewSet
    menu_label = _("部门站点")
    menu_name = "department-sites"
    list_display = ["name", "slug", "organ_code", "doc_no_prefix", "sort_order"]
    search_backend_name = None
    search_fields = ["name", "slug"]
    ordering = ["sort_order", "slug"]
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("slug"), FieldPanel("sort_order")]),
        FieldRowPanel([FieldPanel("organ_code"), FieldPanel("doc_no_prefix")]),
        FieldPanel("editors"),
    ]


class DepartmentReviewViewSet(SnippetViewSet):
    """Review steps per department (platform administrators only); the workflow follows on save."""

    model = DepartmentReview
    icon = "tasks"
    chooser_viewset_class = LocalizedSnippetChooserViewSet
    menu_label = _("审核设置")
    menu_name = "department-review"
    list_display = ["department", Column("steps", label=_("审核步骤"), accessor="get_steps_display")]
    search_backend_name = None
    panels = [FieldPanel("department"), FieldPanel("steps")]


class DisclosureGroup(SnippetViewSetGroup):
    items = (DocumentViewSet, ColumnViewSet, StandalonePageViewSet, DepartmentViewSet, DepartmentReviewViewSet)
    menu_icon = "folder-open-inverse"
    menu_label = _("政务公开")
    menu_name = "disclosure"
    menu_order = 150
