"""The admin's document search: Chinese substrings, a 文号 typed with any brackets, a 索引号.

The database search backend does not split Chinese, so the listing and the choosers search with
substring matches (``contains``) over a small covering index, and read a 文号 or 索引号 however it
was typed (the rules are ``content_models.identifiers``).
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from cms.admin import permissions
from content_models import identifiers
from content_models.models import VALIDITY_CHOICES, DisclosureDocument

# Covered by the doc_search_idx index: a substring search scans that index, not the table.
SEARCH_FIELDS = ("title", "doc_no", "organ")
# Below this many hits the search passes ids as literals (under SQLite's 999 variables).
MAX_LITERAL_IDS = 900


def document_search_filter(query: str) -> Q:
    """A Q matching the query as a substring of title, 文号 (any brackets) or organ, or a 索引号.

    Substring matching (LIKE / ILIKE) finds any Chinese word without a segmenter. The match
    runs in a subquery that reads only the covering index doc_search_idx (~25 MB at 200k
    documents instead of the ~1 GB table with bodies); see docs/adr/0020-admin-search-substring-covering-index.md for figures.
    """
    query = (query or "").strip()
    # Chinese has no case: a plain LIKE spares PostgreSQL an UPPER() of every value (0.27 s →
    # 0.16 s a scan at 200k). Latin letters (e.g. "PM2.5") still match in any case.
    lookup = "icontains" if re.search(r"[A-Za-z]", query) else "contains"
    condition = Q()
    for field in SEARCH_FIELDS:
        condition |= Q(**{f"{field}__{lookup}": query})
    for variant in identifiers.doc_no_search_variants(query):
        condition |= Q(**{f"doc_no__{lookup}": variant})
    matching = DisclosureDocument.objects.filter(condition).order_by().values_list("pk", flat=True)
    # Run the scan once, here. A short list of ids is then handed to the count and the page
    # as literals: with the subquery, PostgreSQL expected ~80 hits for a 文号 and walked the
    # whole newest-first index probing it (1.9 s for one hit instead of 0.25 s).
    ids = list(matching[: MAX_LITERAL_IDS + 1])
    result = Q(pk__in=ids) if len(ids) <= MAX_LITERAL_IDS else Q(pk__in=matching)
    index_no = identifiers.index_no_in_query(query)
    if index_no:
        result |= Q(index_no=index_no)
    return result


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
