"""The disclosure documents and department sites in the Wagtail admin (政务公开 menu).

Documents are snippets: editors get drafts, revisions, preview, locking, moderation and
scheduled publishing from Wagtail. This module adds what Wagtail does not know:

- department sites (集约化): every view is narrowed to the departments the user edits
  (``content_models.permissions``), and a direct URL to another department's document is refused;
- Chinese search: the database search backend does not split Chinese, so the listing searches
  with substring matches (``icontains``) and reads a 文号 typed with any brackets;
- forms and panels in Chinese, grouped the way a disclosure catalogue is read.
"""

from __future__ import annotations

import functools
import re
import uuid

import django_filters
from django import forms
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.forms.choosers import BaseFilterForm, LocaleFilterMixin
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    PublishingPanel,
    TabbedInterface,
)
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.widgets.button import BaseButton, Button, ButtonWithDropdown
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import EditView, IndexView, SnippetViewSet, SnippetViewSetGroup
from wagtail_localize import wagtail_hooks as localize_hooks

from content_models import identifiers, permissions
from content_models.models import VALIDITY_CHOICES, Department, DisclosureDocument
from content_models.views import (
    DocumentStatusColumn,
    annotate_listing_page,
    ensure_live_revision,
    translation_buttons,
)

# ---------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------

_BRACKETS_OPEN = "[(（【［﹝〖{｛<《〔"
_BRACKETS_CLOSE = "])）】］﹞〗}｝>》〕"
_YEAR_IN_ANY_BRACKETS = re.compile(
    rf"[{re.escape(_BRACKETS_OPEN)}]\s*(\d{{4}})\s*(?:[{re.escape(_BRACKETS_CLOSE)}]|$)"
)
_DOC_NO_WITHOUT_BRACKETS = re.compile(r"^(?P<prefix>[\u3400-\u9fffA-Za-z·\-]+?)(?P<year>(?:19|20)\d{2})第?(?P<serial>\d{1,5})号?$")

# Covered by the doc_search_idx index: a substring search scans that index, not the table.
SEARCH_FIELDS = ("title", "doc_no", "organ")
# Below this many hits the search passes ids as literals (under SQLite's 999 variables).
MAX_LITERAL_IDS = 900
_INDEX_NO_LIKE = re.compile(r"^[0-9A-Za-z\-]{4,32}/\d{4}-\d{1,8}$")


def doc_no_search_variants(query: str) -> list[str]:
    """The stored (〔〕) spellings a 文号-like query may stand for, most specific first.

    ``南政办[2024]12号`` → ``南政办〔2024〕12号``; ``南政办(2024`` → ``南政办〔2024〕``;
    ``南政办202412号`` → ``南政办〔2024〕12号``. Empty when the query does not look like a 文号.
    """
    text = "".join(identifiers.fold_width(query or "").split())
    variants: list[str] = []
    try:
        variants.append(identifiers.normalize_doc_no(text))
    except identifiers.InvalidIdentifier:
        pass
    bracketed = _YEAR_IN_ANY_BRACKETS.sub(lambda m: f"〔{m.group(1)}〕", text, count=1)
    if bracketed != text:
        variants.append(bracketed)
    m = _DOC_NO_WITHOUT_BRACKETS.match(identifiers.doc_no_key(text))
    if m and not variants:
        variants.append(f"{m['prefix']}〔{m['year']}〕{m['serial']}号")
    return list(dict.fromkeys(v for v in variants if v and v != query))


def document_search_filter(query: str) -> Q:
    """A Q matching the query as a substring of title, 文号 (any brackets) or organ, or a 索引号.

    Substring matching (LIKE / ILIKE) finds any Chinese word without a segmenter. The match
    runs in a subquery that reads only the covering index doc_search_idx (~25 MB at 200k
    documents instead of the ~1 GB table with bodies); see docs/decisions.md ("CMS") for figures.
    """
    query = (query or "").strip()
    # Chinese has no case: a plain LIKE spares PostgreSQL an UPPER() of every value (0.27 s →
    # 0.16 s a scan at 200k). Latin letters (e.g. "PM2.5") still match in any case.
    lookup = "icontains" if re.search(r"[A-Za-z]", query) else "contains"
    condition = Q()
    for field in SEARCH_FIELDS:
        condition |= Q(**{f"{field}__{lookup}": query})
    for variant in doc_no_search_variants(query):
        condition |= Q(**{f"doc_no__{lookup}": variant})
    matching = DisclosureDocument.objects.filter(condition).order_by().values_list("pk", flat=True)
    # Run the scan once, here. A short list of ids is then handed to the count and the page
    # as literals: with the subquery, PostgreSQL expected ~80 hits for a 文号 and walked the
    # whole newest-first index probing it (1.9 s for one hit instead of 0.25 s).
    ids = list(matching[: MAX_LITERAL_IDS + 1])
    result = Q(pk__in=ids) if len(ids) <= MAX_LITERAL_IDS else Q(pk__in=matching)
    index_no = identifiers.fold_width(query).replace(" ", "")
    if _INDEX_NO_LIKE.match(index_no):
        result |= Q(index_no=index_no)
    return result


# ---------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------

_KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；]+")


class KeywordsField(forms.CharField):
    """主题词 typed as one line ("乡村振兴 农业" or "乡村振兴，农业"), stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return " ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value if str(v).strip()]
        return list(dict.fromkeys(w for w in _KEYWORD_SEPARATORS.split(text) if w))


class DocumentAdminForm(WagtailAdminModelForm):
    """The document form: department choices limited to the editor's own departments."""

    keywords = KeywordsField(
        label=_("主题词"), required=False, help_text=_("多个主题词用空格或顿号分隔")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("department")
        if field is not None and self.for_user is not None:
            allowed = permissions.departments_for_user(self.for_user)
            field.queryset = allowed
            if not self.instance.pk and not self.initial.get("department"):
                only = list(allowed[:2])
                if len(only) == 1:
                    self.initial["department"] = only[0].pk
        if "organ" in self.fields:
            self.fields["organ"].required = False
            self.fields["organ"].help_text = _("留空则使用部门名称")
        if not self.instance.pk and "published_at" in self.fields and not self.initial.get("published_at"):
            self.initial["published_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        cleaned = super().clean()
        department = cleaned.get("department")
        if "organ" in self.fields and not cleaned.get("organ") and department is not None:
            cleaned["organ"] = department.name
        return cleaned

    def clean_department(self):
        department = self.cleaned_data.get("department")
        ids = permissions.department_ids_for_user(self.for_user) if self.for_user else None
        if department is not None and ids is not None and department.pk not in ids:
            raise forms.ValidationError(_("您只能在本部门站点下编辑文件"))
        return department

    def save(self, commit=True):
        if not self.instance.source_id:
            # Documents written in the CMS have no source system: give them a stable id of ours.
            self.instance.source_id = f"cms-{uuid.uuid4().hex[:16]}"
        return super().save(commit=commit)


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


class DocumentIndexView(IndexView):
    """The document listing, fast at 200k rows: a fixed number of queries per page.

    Wagtail's status column and wagtail-localize's listing buttons ask the database once per
    row (workflow state, scheduled revision, translation source); here the page's rows get
    that information in a few bulk queries before the table is rendered.
    """

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return queryset.filter(document_search_filter(self.search_query))

    def get_table(self, object_list):
        objects = list(object_list)
        annotate_listing_page(objects, self.request.user)
        return super().get_table(objects)

    def get_list_buttons(self, instance):
        # Wagtail's own loop (snippets IndexView.get_list_buttons), minus wagtail-localize's
        # per-row hook, whose buttons come from the bulk data of annotate_listing_page.
        next_url = self.request.path
        list_buttons = []
        more_buttons = []
        buttons = list(self.get_list_more_buttons(instance))
        for hook in hooks.get_hooks("register_snippet_listing_buttons"):
            if hook is localize_hooks.register_snippet_listing_buttons:
                continue
            buttons.extend(hook(instance, self.request.user, next_url))
        buttons.extend(translation_buttons(instance, next_url))
        for button in buttons:
            if isinstance(button, BaseButton) and not button.allow_in_dropdown:
                list_buttons.append(button)
            elif isinstance(button, MenuItem):
                if button.is_shown(self.request.user):
                    more_buttons.append(Button.from_menu_item(button))
            elif button.show:
                more_buttons.append(button)
        for hook in hooks.get_hooks("construct_snippet_listing_buttons"):
            hook(more_buttons, instance, self.request.user)
        if more_buttons:
            list_buttons.append(
                ButtonWithDropdown(
                    buttons=more_buttons,
                    icon_name="dots-horizontal",
                    attrs={"aria-label": _("“%(title)s”的更多操作") % {"title": str(instance)}},
                )
            )
        return list_buttons


class DocumentEditView(EditView):
    def get_object(self, queryset=None):
        document = super().get_object(queryset)
        ensure_live_revision(document)
        return document


class DocumentSearchFilterMixin(forms.Form):
    """The chooser's search box, with the same Chinese substring and 文号 matching as the list."""

    q = forms.CharField(
        label=_("搜索"),
        widget=forms.TextInput(attrs={"placeholder": _("标题、发文字号、索引号或发布机构")}),
        required=False,
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            objects = objects.filter(document_search_filter(query))
            self.is_searching = True
            self.search_query = query
        return objects


class DocumentChooseMixin:
    """Chooser for 解读的政策 / 替代文件: searchable (the model is not in Wagtail's search index),
    and without Wagtail's per-row status queries."""

    def get_filter_form_class(self):
        bases = [DocumentSearchFilterMixin, BaseFilterForm]
        if self.i18n_enabled:
            bases.insert(0, LocaleFilterMixin)
        return type("DocumentChooserFilterForm", tuple(bases), {})

    @property
    def columns(self):
        return [
            self.title_column,
            Column("doc_no", label=_("发文字号")),
            Column("organ", label=_("发布机构")),
            DateColumn("published_at", label=_("发布日期")),
            BooleanColumn("live", label=_("已发布")),
        ]


class DocumentChooseView(DocumentChooseMixin, ChooseView):
    pass


class DocumentChooseResultsView(DocumentChooseMixin, ChooseResultsView):
    pass


class DocumentChooserViewSet(SnippetChooserViewSet):
    choose_view_class = DocumentChooseView
    choose_results_view_class = DocumentChooseResultsView


def _departments_for_request(request):
    if request is None:
        return permissions.departments_for_user(None).none()
    return permissions.departments_for_user(request.user)


class DocumentFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=_("部门站点"), queryset=_departments_for_request
    )
    validity = django_filters.ChoiceFilter(label=_("有效性"), choices=VALIDITY_CHOICES)
    live = django_filters.BooleanFilter(
        label=_("已发布"),
        widget=forms.Select(choices=[("", "---------"), ("true", _("已发布")), ("false", _("草稿"))]),
    )

    class Meta:
        model = DisclosureDocument
        fields = ["department", "category", "topic", "validity", "live"]


def _department_guard(view_func):
    """Answer 404 for every admin URL about a document outside the user's departments.

    Wraps all the snippet views (edit, delete, history, revisions, preview, unpublish, lock,
    workflow, usage, inspect), so no per-view check can be forgotten. 404 rather than 403: an
    editor need not learn which ids exist in other departments (Wagtail turns a 403 into a
    redirect to the dashboard anyway).
    """

    @functools.wraps(view_func)
    def wrapped(request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is not None:
            from django.contrib.admin.utils import unquote

            try:
                pk_value = int(unquote(str(pk)))
            except ValueError:
                raise Http404 from None
            if not permissions.user_can_access_document(request.user, pk_value):
                raise Http404
        return view_func(request, *args, **kwargs)

    return wrapped


document_edit_handler = TabbedInterface(
    [
        ObjectList(
            [
                FieldPanel("title"),
                FieldRowPanel([FieldPanel("department"), FieldPanel("organ")]),
                FieldRowPanel([FieldPanel("doc_no"), FieldPanel("index_no")]),
                FieldRowPanel([FieldPanel("written"), FieldPanel("published_at")]),
                PublishingPanel(),
            ],
            heading=_("基本信息"),
        ),
        ObjectList(
            [
                FieldRowPanel([FieldPanel("category"), FieldPanel("topic"), FieldPanel("validity")]),
                FieldPanel("keywords"),
                FieldPanel("summary"),
            ],
            heading=_("公开属性"),
        ),
        ObjectList([FieldPanel("body")], heading=_("正文")),
        ObjectList(
            [
                InlinePanel(
                    "attachments",
                    heading=_("附件"),
                    label=_("附件"),
                    panels=[
                        FieldPanel("title"),
                        FieldPanel("upload"),
                        FieldRowPanel([FieldPanel("file"), FieldPanel("file_type"), FieldPanel("size_bytes")]),
                    ],
                )
            ],
            heading=_("附件"),
        ),
        ObjectList(
            [
                MultiFieldPanel(
                    [FieldPanel("interprets"), FieldPanel("replaced_by")],
                    heading=_("关联文件"),
                ),
            ],
            heading=_("关联"),
        ),
    ],
    base_form_class=DocumentAdminForm,
)


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
        return _department_guard(super().construct_view(view_class, **kwargs))


class DepartmentViewSet(SnippetViewSet):
    """Department sites; only platform administrators have permissions on this model."""

    model = Department
    icon = "site"
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


class DisclosureGroup(SnippetViewSetGroup):
    items = (DocumentViewSet, DepartmentViewSet)
    menu_icon = "folder-open-inverse"
    menu_label = _("政务公开")
    menu_name = "disclosure"
    menu_order = 150


register_snippet(DisclosureGroup)
