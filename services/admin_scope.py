"""Service data of a department in the admin: its editors see and open only their department's rows.

The documents' rule (``cms.admin.permissions``: a user's departments, the permission policy on
``department_id``) applied to a module's model with a ``department`` foreign key. Every admin URL
naming a row outside the user's departments answers 404, like the documents' (no per-view check
to forget, no hint of which ids exist).
"""

from __future__ import annotations

import functools
from urllib.parse import unquote

from django.http import Http404
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.admin import permissions


class DepartmentScopedViewSet(SnippetViewSet):
    """A snippet viewset of a model with ``department``: listing, permissions and URLs narrowed."""

    @property
    def permission_policy(self):
        return permissions.DepartmentPermissionPolicy(self.model)

    def get_queryset(self, request):
        return permissions.filter_documents_for_user(self.model._default_manager.all(), request.user)

    def construct_view(self, view_class, **kwargs):
        view = super().construct_view(view_class, **kwargs)
        model = self.model

        @functools.wraps(view)
        def wrapped(request, *args, **kw):
            pk = kw.get("pk")
            if pk is not None:
                try:
                    pk_value = int(unquote(str(pk)))
                except ValueError:
                    raise Http404 from None
                rows = permissions.filter_documents_for_user(model._default_manager.filter(pk=pk_value), request.user)
                if not rows.exists():
                    raise Http404
            return view(request, *args, **kw)

        return wrapped
