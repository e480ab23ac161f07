"""Signal handlers of the CMS side of content_models.

A new department site gets its editors' group ("<name>编辑") at once, so the platform
administrator only has to add users to it. Connected by ``content_models.models`` at import.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender="content_models.Department", dispatch_uid="govsite_department_editors_group")
def create_department_editors_group(sender, instance, created, raw=False, **kwargs) -> None:
    """Create the editors' group of a department when it has none (fixtures excepted)."""
    if raw or instance.editors_id is not None:
        return
    from content_models.permissions import ensure_department_group

    ensure_department_group(instance)
