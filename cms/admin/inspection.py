"""The admin's 网站自查 page (the latest self-inspection report, kept by the worker's daily job or
``govsite inspect``), the 错敏词 list, and the editor's warning when a draft contains a listed word."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.admin import permissions
from cms.admin.choosers import LocalizedSnippetChooserViewSet
from cms.inspection.report import KINDS, latest
from cms.inspection.words import WordMatcher
from cms.models import StandalonePage, WordCheck
from content_models.models import DisclosureDocument


def inspection_report(request):
    if not permissions.user_sees_all_departments(request.user):
        raise PermissionDenied
    report = latest()
    groups = []
    if report is not None:
        for kind, label in KINDS.items():
            groups.append({"kind": kind, "label": label, "findings": [f for f in report.findings if f.kind == kind]})
    return TemplateResponse(request, "cms/admin/inspection.html", {"report": report, "groups": groups})


class WordCheckViewSet(SnippetViewSet):
    model = WordCheck
    icon = "warning"
    chooser_viewset_class = LocalizedSnippetChooserViewSet
    menu_label = _lazy("错敏词")
    menu_name = "word-checks"
    list_display = ["wrong", "correct", "kind", "note"]
    search_fields = ["wrong", "correct", "note"]
    search_backend_name = None


def warn_about_words(request, instance) -> None:
    """After an editor saves (or opens) a document or page: list the 错别字/严重表述错误 it contains."""
    if not isinstance(instance, (DisclosureDocument, StandalonePage)):
        return
    hits = WordMatcher.from_database().find(instance.title, getattr(instance, "summary", ""), instance.body)
    if hits:
        messages.warning(request, _("发布前请核对：%(hits)s。") % {"hits": "；".join(h.message() for h in hits)})


def warn_on_open(request, instance):
    if request.method == "GET":
        warn_about_words(request, instance)
