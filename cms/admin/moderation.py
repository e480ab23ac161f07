"""Moderation per department (审核设置): zero, one or two review steps, as Wagtail workflows.

Wagtail assigns a snippet's workflow per model; ``DisclosureDocument.get_workflow`` asks
``document_workflow`` here instead, so each department's documents go through its own workflow:
one step, the department's reviewers group (``<部门>审核``); two steps, then the platform
administrators. A department without a row keeps the site-wide workflow (部门审核).
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import GroupApprovalTask, Workflow, WorkflowTask

from cms.admin.permissions import EDITOR_EXTRA_PERMISSIONS, _permissions, ensure_platform_admins_group
from cms.models import DepartmentReview

REVIEWERS_SUFFIX = "审核"


def reviewers_group(department) -> Group:
    """The department's reviewers (审核人): they approve or reject its editors' drafts."""
    group, _ = Group.objects.get_or_create(name=f"{department.name}{REVIEWERS_SUFFIX}")
    group.permissions.add(*_permissions([*EDITOR_EXTRA_PERMISSIONS,
                                         ("content_models", "disclosuredocument", "change_disclosuredocument"),
                                         ("content_models", "disclosuredocument", "publish_disclosuredocument")]))
    return group


def _task(name: str, group: Group) -> GroupApprovalTask:
    task = GroupApprovalTask.objects.filter(name=name).first() or GroupApprovalTask.objects.create(name=name)
    task.groups.set([group])
    return task


@transaction.atomic
def sync_workflow(review: DepartmentReview) -> Workflow | None:
    """Make the department's workflow match its number of steps; returns it (None: no review)."""
    department = review.department
    if review.steps == DepartmentReview.Steps.NONE:
        if review.workflow_id:
            Workflow.objects.filter(pk=review.workflow_id).update(active=False)
        return None
    reviewers = reviewers_group(department)
    if review.reviewers_id != reviewers.pk:
        DepartmentReview.objects.filter(pk=review.pk).update(reviewers=reviewers)
        review.reviewers = reviewers
    tasks = [_task(f"{department.name}初审", reviewers)]
    if review.steps == DepartmentReview.Steps.TWO:
        tasks.append(_task(f"{department.name}终审（平台管理员）", ensure_platform_admins_group()))
    workflow = review.workflow or Workflow.objects.create(name=f"{department.name}审核流程")
    workflow.active = True
    workflow.save(update_fields=["active"])
    WorkflowTask.objects.filter(workflow=workflow).delete()
    for order, task in enumerate(tasks):
        WorkflowTask.objects.create(workflow=workflow, task=task.task_ptr, sort_order=order)
    if review.workflow_id != workflow.pk:
        DepartmentReview.objects.filter(pk=review.pk).update(workflow=workflow)
        review.workflow = workflow
    return workflow


def review_saved(sender, instance: DepartmentReview, raw=False, **kwargs) -> None:
    """``post_save`` of DepartmentReview: its workflow follows."""
    if not raw:
        sync_workflow(instance)


def document_workflow(document) -> tuple[bool, Workflow | None]:
    """``DisclosureDocument.get_workflow``'s resolver: the department's workflow when it has a setting."""
    if not document.department_id:
        return False, None
    review = DepartmentReview.objects.filter(department_id=document.department_id).select_related("workflow").first()
    if review is None:
        return False, None
    if review.steps == DepartmentReview.Steps.NONE or review.workflow is None or not review.workflow.active:
        return True, None
    return True, review.workflow
