"""Views of the CMS that are not Wagtail's own: the document preview context.

The public pages are written by the static site generator; the preview only has to show an
editor what a document will say (metadata table, body, attachments and, for a policy, the
政策解读 that explain it) before it is published.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from wagtail.admin.ui.tables import StatusTagColumn


def _format_size(size: int | None) -> str:
    if not size:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def document_metadata_rows(document) -> list[tuple[str, str]]:
    """The disclosure metadata table (索引号, 发文字号, ...) as (label, value) pairs."""
    written = document.written.strftime("%Y-%m-%d") if document.written else ""
    published = document.published_at.strftime("%Y-%m-%d") if document.published_at else ""
    return [
        (_("索引号"), document.index_no or ""),
        (_("发布机构"), document.organ or ""),
        (_("发文字号"), document.doc_no or ""),
        (_("信息类别"), document.category or ""),
        (_("主题分类"), document.topic or ""),
        (_("成文日期"), written),
        (_("发布日期"), published),
        (_("有效性"), document.validity or ""),
        (_("主题词"), " ".join(document.keywords or [])),
    ]


def document_preview_context(document, request) -> dict:
    """Everything the preview template shows; works for unsaved documents too."""
    from content_models.models import DisclosureDocument

    attachments = [
        {
            "title": a.title,
            "file": a.upload.url if getattr(a, "upload", None) else a.file,
            "file_type": (a.file_type or "").upper(),
            "size": _format_size(a.size_bytes),
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
    rows = document_metadata_rows(document)
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
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count
    from wagtail.models import Locale, Revision, WorkflowState

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
    from django.contrib.contenttypes.models import ContentType
    from wagtail_localize.models import TranslationSource

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
    from django.utils.translation import gettext

    if not document.live:
        if document.expired:
            return gettext("expired"), False
        if scheduled:
            return gettext("scheduled"), False
        if in_moderation:
            return gettext("in moderation"), False
        return gettext("draft"), False
    if scheduled:
        return gettext("live + scheduled"), True
    if in_moderation:
        return gettext("live + in moderation"), True
    if document.has_unpublished_changes:
        return gettext("live + draft"), True
    return gettext("live"), True


def translation_buttons(document, next_url: str | None = None) -> list:
    """wagtail-localize's "Translate" / "Sync translated snippets" listing buttons, from bulk data."""
    from urllib.parse import urlencode

    from django.contrib.admin.utils import quote
    from django.urls import reverse
    from wagtail.admin.widgets.button import Button

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
    from django.db import transaction

    if not document.pk or not document.live or document.live_revision_id:
        return
    with transaction.atomic():
        revision = document.save_revision(log_action=False, clean=False)
        type(document).objects.filter(pk=document.pk).update(live_revision=revision, has_unpublished_changes=False)
    document.live_revision = revision
    document.has_unpublished_changes = False
