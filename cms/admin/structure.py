"""Columns (栏目) and standalone pages (栏目单页) in the admin, scoped to the editor's departments.

Platform administrators edit the portal's columns and pages (no department) and every
department's; a department's editors edit only their own site's.
"""

from __future__ import annotations

import functools

from django import forms
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, PublishingPanel
from wagtail.admin.ui.tables import Column as TableColumn
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChosenView
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.admin import permissions
from cms.admin.choosers import LocalizedSnippetChooserViewSet
from cms.models import Column, StandalonePage


class DepartmentScopedForm(WagtailAdminModelForm):
    """Department, parent column and column choices limited to the editor's own sites."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is None:
            return
        ids = permissions.department_ids_for_user(self.for_user)
        field = self.fields.get("department")
        if field is not None and ids is not None:
            field.queryset = permissions.departments_for_user(self.for_user)
            field.required = True
            if not self.instance.pk and len(ids) == 1:
                self.initial.setdefault("department", next(iter(ids)))
        for name in ("parent", "column"):
            related = self.fields.get(name)
            if related is not None and ids is not None:
                related.queryset = Column.objects.filter(department_id__in=ids)

    def clean_department(self):
        department = self.cleaned_data.get("department")
        ids = permissions.department_ids_for_user(self.for_user) if self.for_user else None
        if ids is not None and (department is None or department.pk not in ids):
            raise forms.ValidationError(_("您只能编辑本部门站点的栏目和页面"))
        return department


def department_guard(model, view_func):
    """404 for every admin URL about a column or page outside the user's departments (edit, delete,
    copy, history, revisions, unpublish, lock, usage...): Wagtail's delete, unpublish and lock views
    check only the model permission, which every department's editors have."""

    @functools.wraps(view_func)
    def wrapped(request, *args, **kwargs):
        pk = kwargs.get("pk")
        ids = permissions.department_ids_for_user(request.user) if pk is not None else None
        if ids is not None:
            try:
                pk_value = int(unquote(str(pk)))
            except ValueError:
                raise Http404 from None
            if not model._default_manager.filter(pk=pk_value, department_id__in=ids).exists():
                raise Http404
        return view_func(request, *args, **kwargs)

    return wrapped


class _ScopedViewSet(SnippetViewSet):
    search_backend_name = None
    chooser_viewset_class = LocalizedSnippetChooserViewSet

    def construct_view(self, view_class, **kwargs):
        return department_guard(self.model, super().construct_view(view_class, **kwargs))

    @property
    def permission_policy(self):
        return permissions.DepartmentPermissionPolicy(self.model)

    def get_queryset(self, request):
        qs = self.model._default_manager.select_related("department")
        return permissions.filter_documents_for_user(qs, request.user)


class ColumnViewSet(_ScopedViewSet):
    model = Column
    icon = "list-ul"
    menu_label = _("栏目")
    menu_name = "site-columns"
    search_fields = ["name", "description", "keywords"]
    ordering = ["department__sort_order", "sort_order", "pk"]
    list_display = ["name", TableColumn("department", label=_("部门站点")), TableColumn("parent", label=_("上级栏目")),
                    TableColumn("column_type", label=_("栏目类型")), TableColumn("sort_order", label=_("排序"))]
    list_filter = ["department", "column_type"]
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("department"), FieldPanel("parent")]),
        FieldRowPanel([FieldPanel("name"), FieldPanel("column_type")]),
        FieldPanel("description"),
        FieldPanel("keywords"),
        FieldRowPanel([FieldPanel("category"), FieldPanel("link")]),
        FieldRowPanel([FieldPanel("in_nav"), FieldPanel("sort_order"), FieldPanel("stale_days")]),
    ], base_form_class=DepartmentScopedForm)


class _StandaloneChooseMixin:
    """A rich-text link to a 栏目单页 may name the user's own pages and other sites' public ones."""

    def get_object_list(self):
        return permissions.choosable_documents_for_user(super().get_object_list(), self.request.user)


class StandaloneChooseView(_StandaloneChooseMixin, ChooseView):
    pass


class StandaloneChooseResultsView(_StandaloneChooseMixin, ChooseResultsView):
    pass


class StandaloneChosenView(SnippetChosenView):
    def get_object(self, pk):
        qs = permissions.choosable_documents_for_user(self.model_class.objects.all(), self.request.user)
        return qs.get(pk=pk)


class StandaloneChooserViewSet(LocalizedSnippetChooserViewSet):
    choose_view_class = StandaloneChooseView
    choose_results_view_class = StandaloneChooseResultsView
    chosen_view_class = StandaloneChosenView


class StandalonePageViewSet(_ScopedViewSet):
    model = StandalonePage
    icon = "doc-empty"
    chooser_viewset_class = StandaloneChooserViewSet
    menu_label = _("栏目单页")
    menu_name = "standalone-pages"
    search_fields = ["title", "slug"]
    ordering = ["department__sort_order", "sort_order", "pk"]
    list_display = ["title", TableColumn("department", label=_("部门站点")), TableColumn("column", label=_("所属栏目")),
                    TableColumn("url", label=_("页面地址"))]
    list_filter = ["department"]
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("department"), FieldPanel("column")]),
        FieldRowPanel([FieldPanel("title"), FieldPanel("slug")]),
        FieldPanel("body"),
        FieldPanel("sort_order"),
        MultiFieldPanel([PublishingPanel()], heading=_("定时发布")),
    ], base_form_class=DepartmentScopedForm)
