"""Rich-text links to a disclosure document and to a 栏目单页, chosen in the editor (ADR 0104).

Two Draftail entity features, ``disclosure-link`` and ``standalone-link``: the toolbar button opens
the model's snippet chooser (the same department rule as everywhere: own drafts and others' public
items, ``permissions.choosable_documents_for_user``), and the chosen item is stored by id as
``<a linktype="disclosure" id="12">`` / ``<a linktype="standalone" id="3">``, the form the
sanitizer keeps and ``cms.richtext.Expander`` resolves to the public static URL when the site is
built (a withdrawn or unpublished target becomes plain text). Imported bodies that carry these
links open in the editor with them (the ``from_database_format`` rules), instead of losing them.
"""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from draftjs_exporter.dom import DOM
from wagtail.admin.rich_text.converters.html_to_contentstate import LinkElementHandler
from wagtail.admin.rich_text.editors.draftail import features as draftail_features
from wagtail.rich_text import LinkHandler

from cms.models import StandalonePage
from content_models.models import DisclosureDocument

JS = ["wagtailadmin/js/chooser-modal.js", "cms/js/richtext-links.js"]


class _LinkHandler(LinkHandler):
    """For Wagtail's own rendering (admin previews): the link's words; the public URL is the
    static site's and is written by the build (``cms.richtext``), not by the CMS. The reference
    goes into Wagtail's ``ReferenceIndex`` when the linking item is published
    (``cms.build.references``), so withdrawing the target rebuilds the pages that link it."""

    model = None

    @classmethod
    def get_model(cls):
        return cls.model

    @classmethod
    def expand_db_attributes(cls, attrs: dict) -> str:
        return "<a>"

    @classmethod
    def extract_references(cls, attrs: dict):
        ident = attrs.get("id", "")
        if ident.isdigit():
            yield cls.model, ident, "", ""


class DisclosureLinkHandler(_LinkHandler):
    identifier = "disclosure"
    model = DisclosureDocument


class StandaloneLinkHandler(_LinkHandler):
    identifier = "standalone"
    model = StandalonePage


class _ChosenLinkElementHandler(LinkElementHandler):
    """``<a linktype=… id=…>`` from the database into the editor, with the target's title."""

    model = None

    def get_attribute_data(self, attrs: dict) -> dict:
        ident = attrs.get("id", "")
        title = ""
        if ident.isdigit():
            title = self.model.objects.filter(pk=int(ident)).values_list("title", flat=True).first() or ""
        return {"id": ident, "title": title}


class DisclosureElementHandler(_ChosenLinkElementHandler):
    model = DisclosureDocument


class StandaloneElementHandler(_ChosenLinkElementHandler):
    model = StandalonePage


def _entity(linktype: str):
    def to_database(props: dict):
        return DOM.create_element("a", {"linktype": linktype, "id": props.get("id")}, props["children"])
    return to_database


FEATURES = (
    # feature name, entity type, linktype, icon, description, chooser URL name, element handler
    ("disclosure-link", "DISCLOSURE", "disclosure", "doc-full", _("公开文件"),
     "wagtailsnippetchoosers_content_models_disclosuredocument:choose", DisclosureElementHandler),
    ("standalone-link", "STANDALONE", "standalone", "doc-empty", _("栏目单页"),
     "wagtailsnippetchoosers_cms_standalonepage:choose", StandaloneElementHandler),
)


def register_features(features) -> None:
    """``register_rich_text_features`` hook: the two link features and their converters."""
    features.register_link_type(DisclosureLinkHandler)
    features.register_link_type(StandaloneLinkHandler)
    for name, entity_type, linktype, icon, description, chooser, handler in FEATURES:
        features.register_editor_plugin("draftail", name, draftail_features.EntityFeature(
            {"type": entity_type, "icon": icon, "description": description,
             "chooserUrls": {"chooser": reverse_lazy(chooser)}},
            js=JS))
        features.register_converter_rule("contentstate", name, {
            "from_database_format": {f'a[linktype="{linktype}"]': handler(entity_type)},
            "to_database_format": {"entity_decorators": {entity_type: _entity(linktype)}},
        })
