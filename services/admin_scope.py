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


def scope(queryset, user, field: str = "department"):
    """The rows of ``queryset`` whose department (foreign key ``field``) the user works for; all of
    them for the platform administrators."""
    ids = permissions.department_ids_for_user(user)
    return queryset if ids is None else queryset.filter(**{f"{field}_id__in": ids})


class DepartmentStaffPolicy(permissions.DepartmentPermissionPolicy):
    """A department's staff (its editors' group) handle its rows without extra model permissions,
    only the ``staff_actions``; the administrators everything but deleting, a superuser all."""

    def __init__(self, model, field: str = "department", staff_actions=("add", "change", "view")) -> None:
        super().__init__(model)
        self.field = field
        self.staff_actions = tuple(staff_actions)

    def user_has_permission(self, user, action) -> bool:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if user.is_superuser:
            return True
        if permissions.user_sees_all_departments(user):
            return action != "delete"
        return action in self.staff_actions and bool(permissions.department_ids_for_user(user))

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, a) for a in actions)

    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        if not self.user_has_permission(user, action):
            return False
        ids = permissions.department_ids_for_user(user)
        return ids is None or getattr(instance, f"{self.field}_id", None) in ids

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return scope(self.model._default_manager.all(), user, self.field)


class DepartmentScopedViewSet(SnippetViewSet):
    """A snippet viewset of a model with a department foreign key (``department_field``): listing,
    permissions and URLs narrowed."""

    department_field = "department"

    @property
    def permission_policy(self):
        return permissions.DepartmentPermissionPolicy(self.model)

    def visible_to(self, queryset, user):
        """The rows the user may open (a subclass may widen it, e.g. to co-handling departments)."""
        return scope(queryset, user, self.department_field)

    def openable_by(self, view_class, queryset, user):
        """The rows whose URL of ``view_class`` the user may open (default: ``visible_to``)."""
        return self.visible_to(queryset, user)

    def get_queryset(self, request):
        return self.visible_to(self.model._default_manager.all(), request.user)

    def construct_view(self, view_class, **kwargs):
        view = super().construct_view(view_class, **kwargs)
        model = self.model
        openable_by = functools.partial(self.openable_by, view_class)

        @functools.wraps(view)
        def wrapped(request, *args, **kw):
            pk = kw.get("pk")
            if pk is not None:
                try:
                    pk_value = int(unquote(str(pk)))
                except ValueError:
                    raise Http404 from None
                rows = openable_by(model._default_manager.filter(pk=pk_value), request.user)
                if not rows.exists():
                    raise Http404
            return view(request, *args, **kw)

        return wrapped
