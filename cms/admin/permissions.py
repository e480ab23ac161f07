"""Who may edit which documents: department sites (集约化) in the Wagtail admin.

Superusers and members of the platform administrators' group (平台管理员) see and edit every
department's documents. Everyone else edits only the documents of the departments whose editors'
group (``Department.editors``) they belong to. Wagtail checks model-level permissions itself; this
module adds the department rule on top, as a permission policy (used by the snippet views) plus
helpers the admin views, forms and tests share.

It also creates the groups and the moderation workflow, because they are part of the same rule,
and gives a new department its editors' group at once (``create_department_editors_group``,
connected to ``Department`` saves in ``CmsConfig.ready()``), so the platform administrator only
has to add users to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    Workflow,
    WorkflowContentType,
    WorkflowTask,
)
from wagtail.permission_policies import ModelPermissionPolicy

from cms.service_modules import enabled_modules
from content_models.models import Department, DisclosureDocument

PLATFORM_ADMINS_GROUP = "平台管理员"
MODERATION_WORKFLOW = "部门审核"
MODERATION_TASK = "平台管理员审核"
EDITORS_GROUP_SUFFIX = "编辑"

# What a department editor may do to documents (no delete: editors unpublish instead).
EDITOR_DOCUMENT_ACTIONS = ("add", "change", "publish", "lock")
# Wagtail permissions an editor needs besides the document ones.
EDITOR_EXTRA_PERMISSIONS = (
    ("wagtailadmin", "admin", "access_admin"),
    # their site's columns and standalone pages (cms.admin.structure scopes them to the department)
    ("cms", "column", "add_column"),
    ("cms", "column", "change_column"),
    ("cms", "column", "delete_column"),
    ("cms", "standalonepage", "add_standalonepage"),
    ("cms", "standalonepage", "change_standalonepage"),
    ("cms", "standalonepage", "publish_standalonepage"),
    ("cms", "standalonepage", "lock_standalonepage"),
)
_CACHE_ATTR = "_govsite_department_ids"


def user_sees_all_departments(user) -> bool:
    """True for superusers and platform administrators: no department restriction."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=PLATFORM_ADMINS_GROUP).exists()


def department_ids_for_user(user) -> frozenset[int] | None:
    """The ids of the departments a user may edit, or None when the user may edit all.

    Cached on the user object for the request, because the admin asks many times per page.
    """
    cached = getattr(user, _CACHE_ATTR, False)
    if cached is not False:
        return cached
    if user_sees_all_departments(user):
        result = None
    elif not getattr(user, "is_authenticated", False):
        result = frozenset()
    else:
        # its editors, and its reviewers when it has review steps (cms.admin.moderation)
        result = frozenset(Department.objects.filter(Q(editors__user=user) | Q(review__reviewers__user=user))
                           .values_list("pk", flat=True))
    try:
        setattr(user, _CACHE_ATTR, result)
    except AttributeError:  # AnonymousUser-like objects without a __dict__
        pass
    return result


def departments_for_user(user) -> QuerySet:
    """The departments a user may create and edit documents in."""
    ids = department_ids_for_user(user)
    qs = Department.objects.all()
    return qs if ids is None else qs.filter(pk__in=ids)


def filter_documents_for_user(queryset: QuerySet, user) -> QuerySet:
    """Restrict a document queryset to what the user may see in the admin."""
    ids = department_ids_for_user(user)
    return queryset if ids is None else queryset.filter(department_id__in=ids)


def choosable_documents_for_user(queryset: QuerySet, user) -> QuerySet:
    """What a chooser (解读的政策, 替代文件) may list: the user's own departments' documents, and of
    other departments only what is public (live); never another department's draft."""
    ids = department_ids_for_user(user)
    return queryset if ids is None else queryset.filter(Q(department_id__in=ids) | Q(live=True))


def user_can_access_document(user, document_pk) -> bool:
    """Whether the user may open this document in the admin at all (any action)."""
    ids = department_ids_for_user(user)
    if ids is None:
        return True
    if not ids:
        return False
    return DisclosureDocument.objects.filter(pk=document_pk, department_id__in=ids).exists()


class DepartmentPermissionPolicy(ModelPermissionPolicy):
    """Django model permissions, narrowed to the departments the user edits."""

    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        if not self.user_has_permission(user, action):
            return False
        ids = department_ids_for_user(user)
        return ids is None or getattr(instance, "department_id", None) in ids

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user, actions):
        qs = super().instances_user_has_any_permission_for(user, actions)
        return filter_documents_for_user(qs, user)

    def users_with_any_permission_for_instance(self, actions, instance):
        users = self.users_with_any_permission(actions)
        group_id = getattr(getattr(instance, "department", None), "editors_id", None)
        scope = Q(is_superuser=True) | Q(groups__name=PLATFORM_ADMINS_GROUP)
        if group_id:
            scope |= Q(groups__pk=group_id)
        return users.filter(scope).distinct()


# ---------------------------------------------------------------------------
# Groups and workflow
# ---------------------------------------------------------------------------


def _permissions(specs: Iterable[tuple[str, str, str]]) -> list[Permission]:
    found = []
    for app_label, model, codename in specs:
        try:
            ct = ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            continue
        perm = Permission.objects.filter(content_type=ct, codename=codename).first()
        if perm is not None:
            found.append(perm)
    return found


def module_staff_permissions() -> list[tuple[str, str, str]]:
    """What the enabled service modules give department staff (their ``staff_permissions`` hook)."""
    return [tuple(spec) for module in enabled_modules() for spec in getattr(module, "staff_permissions", None) or ()]


def editor_permissions() -> list[Permission]:
    """The permissions every department editors' group gets: documents, files, columns, and the
    service modules' department data (e.g. the catalogue's items, the appointment windows)."""
    doc_specs = [("content_models", "disclosuredocument", f"{a}_disclosuredocument") for a in EDITOR_DOCUMENT_ACTIONS]
    return _permissions([*doc_specs, *EDITOR_EXTRA_PERMISSIONS, *module_staff_permissions()])


def platform_admin_permissions() -> list[Permission]:
    """Everything on documents, departments and attachments' files, plus the admin itself."""
    perms = list(
        Permission.objects.filter(
            content_type__app_label="content_models",
            content_type__model__in=["disclosuredocument", "department"],
        )
    )
    perms += _permissions(EDITOR_EXTRA_PERMISSIONS)
    perms += _permissions(FILE_PERMISSIONS)
    return perms


FILES_COLLECTION_PREFIX = "部门文件 "
COLLECTION_FILE_ACTIONS = ("add", "change", "choose")
# Uploaded files (Wagtail documents) and images: platform administrators hold these on every
# collection; an editors' group holds add/change/choose on its department's collection only
# (``ensure_department_group``), so Wagtail's listings and choosers show it only its own files.
FILE_MODELS = (("wagtaildocs", "document"), ("wagtailimages", "image"))
FILE_PERMISSIONS = tuple((app, model, f"{action}_{model}") for app, model in FILE_MODELS
                         for action in (*COLLECTION_FILE_ACTIONS, "delete"))


def department_collection(department) -> Collection:
    """The collection of a department's uploaded files (附件), made on first use, named by its 站点代号."""
    name = f"{FILES_COLLECTION_PREFIX}{department.slug}"
    # Wagtail's migration makes the root; a database emptied since (a flush, a transactional test)
    # has none, and creating a department must not fail for it.
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    found = root.get_children().filter(name=name).first()
    return found if found is not None else root.add_child(name=name)


def upload_allowed(user, department, upload) -> bool:
    """Whether ``user`` may attach ``upload`` (a Wagtail document) to a document of ``department``:
    platform administrators any file; an editor only files in the department's collection."""
    if user_sees_all_departments(user):
        return True
    collection = department_collection(department)
    return upload.collection_id == collection.pk or upload.collection.is_descendant_of(collection)


@transaction.atomic
def ensure_department_group(department) -> Group:
    """Create (or repair) the editors' group of a department and link it; idempotent.

    The group also gets the department's file collection (add, change, choose documents there),
    where its editors upload the files they attach (``upload_allowed``).
    """
    group = department.editors
    name = f"{department.name}{EDITORS_GROUP_SUFFIX}"
    if group is None:
        group, _ = Group.objects.get_or_create(name=name)
        type(department).objects.filter(pk=department.pk).update(editors=group)
        department.editors = group
    group.permissions.add(*editor_permissions())
    # model-wide file permissions (given before files had department collections) would show
    # every department's files in the listings and choosers: the collection's are the rule
    group.permissions.remove(*_permissions(FILE_PERMISSIONS))
    collection = department_collection(department)
    for app, model in FILE_MODELS:
        for perm in _permissions([(app, model, f"{action}_{model}") for action in COLLECTION_FILE_ACTIONS]):
            GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=perm)
    return group


def file_collections_for_user(user) -> QuerySet | None:
    """The collections whose files (documents, images) a user may list and choose: those given to
    the user's groups and their sub-collections; None for platform administrators (all)."""
    if user_sees_all_departments(user):
        return None
    granted = Collection.objects.filter(group_permissions__group__user=user).distinct()
    q = Q(pk__in=[])
    for collection in granted:
        q |= Q(path__startswith=collection.path, depth__gte=collection.depth)
    return Collection.objects.filter(q)


def files_for_request(queryset: QuerySet, request) -> QuerySet:
    """``construct_document_chooser_queryset``/``construct_image_chooser_queryset``: a department
    editor's file and image choosers (also in the rich-text editor) list the department's files only."""
    collections = file_collections_for_user(request.user)
    return queryset if collections is None else queryset.filter(collection__in=collections)


@transaction.atomic
def ensure_platform_admins_group() -> Group:
    group, _ = Group.objects.get_or_create(name=PLATFORM_ADMINS_GROUP)
    group.permissions.add(*platform_admin_permissions())
    return group


@transaction.atomic
def ensure_moderation_workflow():
    """A "部门审核" workflow (one approval task for the platform administrators) on documents.

    Assigned to the document snippet model, so an editor's "submit for moderation" sends a draft
    to the platform administrators, who approve (publish) or reject it.
    """
    admins = ensure_platform_admins_group()
    workflow, _ = Workflow.objects.get_or_create(name=MODERATION_WORKFLOW, defaults={"active": True})
    task = GroupApprovalTask.objects.filter(name=MODERATION_TASK).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=MODERATION_TASK)
    task.groups.add(admins)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task.task_ptr, defaults={"sort_order": 0})
    ct = ContentType.objects.get_for_model(DisclosureDocument)
    WorkflowContentType.objects.get_or_create(content_type=ct, defaults={"workflow": workflow})
    return workflow


def setup_departments() -> dict[str, int]:
    """Create every missing group and the workflow; return counts for a command to print."""
    ensure_platform_admins_group()
    ensure_moderation_workflow()
    n = 0
    for department in Department.objects.select_related("editors"):
        ensure_department_group(department)
        n += 1
    return {"departments": n}


def create_department_editors_group(sender, instance, created, raw=False, **kwargs) -> None:
    """``post_save`` of Department: create its editors' group when it has none (fixtures excepted)."""
    if raw or instance.editors_id is not None:
        return
    ensure_department_group(instance)
