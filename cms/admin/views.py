"""The admin's own views and view parts: the document listing, edit view and choosers, the
department guard around every document URL, the preview context, and the listing's bulk data
(status column, translation buttons).

The public pages are written by the static site generator; the preview only has to show an
editor what a document will say (metadata table, body, attachments and, for a policy, the
政策解读 that explain it) before it is published.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib.admin.utils import quote, unquote
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm, LocaleFilterMixin
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, StatusTagColumn
from wagtail.admin.widgets.button import BaseButton, Button, ButtonWithDropdown
from wagtail.models import Locale, Revision, WorkflowState
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChosenMultipleView,
    SnippetChosenView,
)
from wagtail.snippets.views.snippets import EditView, IndexView
from wagtail_localize import wagtail_hooks as localize_hooks
from wagtail_localize.models import TranslationSource

from cms.admin import permissions
from cms.admin.search import DocumentSearchFilterMixin, document_search_filter
from content_models.files import file_type, human_size, type_label
from content_models.models import DisclosureDocument

PREVIEW_TEMPLATE = "cms/document_preview.html"


def document_preview_context(document, request) -> dict:
    """Everything the preview template shows; works for unsaved documents too."""
    attachments = [
        {
            "title": a.title,
            "file": a.upload.url if getattr(a, "upload", None) else a.file,
            "file_type": type_label(a.file_type or file_type(a.file)),
            "size": human_size(a.size_bytes),
        }
        for a in document.attachments.all()
    ]
    interpretations = []
    if document.pk:
        interpretations = list(
            DisclosureDocument.objects.filter(interprets_id=document.pk)
            .order_by("-published_at")
            .only("pk", "title", "published_at", "live", "organ")
        )
    rows = document.metadata_rows()
    return {
        "object": document,
        "document": document,
        "request": request,
        "metadata_rows": rows,
        "metadata_table": [rows[i : i + 2] for i in range(0, len(rows), 2)],
        "attachments": attachments,
        "interpretations": interpretations,
        "interprets": document.interprets if document.interprets_id else None,
        "replaced_by": document.replaced_by if document.replaced_by_id else None,
    }


# ---------------------------------------------------------------------------
# The admin listing: per-page bulk data instead of per-row queries
# ---------------------------------------------------------------------------


def annotate_listing_page(documents: list, user) -> None:
    """Attach the status and translation facts of one listing page to its documents.

    Four queries whatever the page size: workflows in progress, scheduled revisions,
    existing translations and translation sources. Sets ``_govsite_status`` (label, live)
    and ``_govsite_translation`` (can_translate, sync_source_id) on each document.
    """
    if not documents:
        return
    model = type(documents[0])
    ct = ContentType.objects.get_for_model(model)
    ids = [str(d.pk) for d in documents]
    in_moderation = set(
        WorkflowState.objects.filter(
            base_content_type=ct, object_id__in=ids, status=WorkflowState.STATUS_IN_PROGRESS
        ).values_list("object_id", flat=True)
    )
    scheduled = set(
        Revision.objects.filter(
            base_content_type=ct, object_id__in=ids, approved_go_live_at__isnull=False
        ).values_list("object_id", flat=True)
    )
    for d in documents:
        d._govsite_status = _status_label(d, str(d.pk) in in_moderation, str(d.pk) in scheduled)

    can_submit = user.has_perm("wagtail_localize.submit_translation")
    keys = {d.translation_key for d in documents}
    locale_count = Locale.objects.count() if can_submit else 0
    translations = dict(
        model.objects.filter(translation_key__in=keys)
        .values("translation_key")
        .annotate(n=Count("pk"))
        .values_list("translation_key", "n")
    ) if can_submit else {}
    sources = _translation_sources_with_translations(model, keys)
    for d in documents:
        d._govsite_translation = (
            can_submit and translations.get(d.translation_key, 1) < locale_count,
            sources.get((d.translation_key, d.locale_id)),
        )


def _translation_sources_with_translations(model, keys) -> dict:
    base_ct = ContentType.objects.get_for_model(model.get_translation_model())
    rows = (
        TranslationSource.objects.filter(
            object__translation_key__in=keys,
            object__content_type=base_ct,
            translations__enabled=True,
        )
        .values_list("object__translation_key", "locale_id", "pk")
        .distinct()
    )
    return {(key, locale_id): pk for key, locale_id, pk in rows}


def _status_label(document, in_moderation: bool, scheduled: bool) -> tuple[str, bool]:
    """Wagtail's status_string logic (DraftStateMixin + WorkflowMixin), from bulk facts."""
    if not document.live:
        if document.expired:
            return _("expired"), False
        if scheduled:
            return _("scheduled"), False
        if in_moderation:
            return _("in moderation"), False
        return _("draft"), False
    if scheduled:
        return _("live + scheduled"), True
    if in_moderation:
        return _("live + in moderation"), True
    if document.has_unpublished_changes:
        return _("live + draft"), True
    return _("live"), True


def translation_buttons(document, next_url: str | None = None) -> list:
    """wagtail-localize's "Translate" / "Sync translated snippets" listing buttons, from bulk data."""
    info = getattr(document, "_govsite_translation", None)
    if info is None:
        return []
    can_translate, source_id = info
    buttons = []
    meta = document._meta
    if can_translate:
        url = reverse(
            "wagtail_localize:submit_snippet_translation",
            args=[meta.app_label, meta.model_name, quote(document.pk)],
        )
        buttons.append(Button(_("翻译"), url, icon_name="wagtail-localize-language", priority=100))
    if source_id is not None:
        url = reverse("wagtail_localize:update_translations", args=[source_id])
        if next_url:
            url += "?" + urlencode({"next": next_url})
        buttons.append(Button(_("同步译文"), url, icon_name="resubmit", priority=106))
    return buttons


class DocumentStatusColumn(StatusTagColumn):
    """Wagtail's live/draft status tag, read from annotate_listing_page's data."""

    def __init__(self, **kwargs):
        super().__init__(
            "status",
            label=kwargs.pop("label", _lazy("状态")),
            sort_key="live",
            accessor=lambda d: _status_of(d)[0],
            primary=lambda d: _status_of(d)[1],
            **kwargs,
        )


def _status_of(document) -> tuple[str, bool]:
    status = getattr(document, "_govsite_status", None)
    if status is None:  # not annotated (e.g. an export): fall back on Wagtail's per-row query
        return document.status_string, document.live
    return status


def ensure_live_revision(document) -> None:
    """Give a live document without revisions (bulk-imported) a baseline live revision.

    Wagtail treats a live object without ``live_revision`` as never published: scheduling a
    change (go-live in the future) would take the published document offline until that date,
    and "compare with live" has nothing to compare. The importer writes rows in bulk without
    revisions (one per document would double the import time), so the first admin edit adds it.
    """
    if not document.pk or not document.live or document.live_revision_id:
        return
    with transaction.atomic():
        revision = document.save_revision(log_action=False, clean=False)
        type(document).objects.filter(pk=document.pk).update(live_revision=revision, has_unpublished_changes=False)
    document.live_revision = revision
    document.has_unpublished_changes = False


# ---------------------------------------------------------------------------
# Listing, edit view and choosers
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


class DocumentChooseMixin:
    """Chooser for 解读的政策 / 替代文件: searchable (the model is not in Wagtail's search index),
    and without Wagtail's per-row status queries."""

    def get_object_list(self):
        return permissions.choosable_documents_for_user(super().get_object_list(), self.request.user)

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


class DocumentChosenView(SnippetChosenView):
    """The chooser's answer for one id: a document the user may not choose is a 404, not its title."""

    def get_object(self, pk):
        qs = permissions.choosable_documents_for_user(self.model_class.objects.all(), self.request.user)
        return qs.get(pk=pk)


class DocumentChosenMultipleView(SnippetChosenMultipleView):
    def get_objects(self, pks):
        return permissions.choosable_documents_for_user(super().get_objects(pks), self.request.user)


def department_guard(view_func):
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
            try:
                pk_value = int(unquote(str(pk)))
            except ValueError:
                raise Http404 from None
            if not permissions.user_can_access_document(request.user, pk_value):
                raise Http404
        return view_func(request, *args, **kwargs)

    return wrapped
