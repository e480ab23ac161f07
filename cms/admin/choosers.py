"""Snippet chooser widgets whose texts follow the editor's language.

Wagtail builds one chooser widget per snippet model when the model is registered and fixes its
texts ("Choose another 部门站点") in the language active at that moment, so an admin process started
in one language shows them so to everyone. Ours translate when rendered.
"""

from __future__ import annotations

from django.utils.functional import cached_property, lazy
from django.utils.translation import gettext
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.widgets import AdminSnippetChooser


def _text(msgid: str, model) -> str:
    return gettext(msgid) % {"object": model._meta.verbose_name}


_lazy_text = lazy(_text, str)


class LocalizedSnippetChooser(AdminSnippetChooser):
    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.choose_one_text = _lazy_text("Choose %(object)s", model)
        self.choose_another_text = _lazy_text("Choose another %(object)s", model)
        self.link_to_chosen_text = _lazy_text("Edit this %(object)s", model)


class LocalizedSnippetChooserViewSet(SnippetChooserViewSet):
    @cached_property
    def widget_class(self):
        return LocalizedSnippetChooser(model=self.model, icon=self.icon)
