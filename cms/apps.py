from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_cache_table(sender, using: str = "default", verbosity: int = 1, **kwargs) -> None:
    """``migrate`` also makes the database cache's table (when the database cache is configured),
    so the demo, the tests and a deployment need no separate ``createcachetable`` step."""
    call_command("createcachetable", database=using, verbosity=max(0, verbosity - 1))


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("政务公开平台")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the CMS's policies to the content models (which never import the CMS)."""
        from django.db.models.signals import post_save, pre_save  # noqa: PLC0415 - models load only in ready()
        from wagtail.signals import published  # noqa: PLC0415 - models load only in ready()

        from cms.admin.attachments import store_uploaded_file  # noqa: PLC0415 - models load only in ready()
        from cms.admin.moderation import document_workflow, review_saved  # noqa: PLC0415 - models load only in ready()
        from cms.admin.numbering import keep_index_no, number_on_first_publish  # noqa: PLC0415 - models load only in ready()
        from cms.admin.permissions import create_department_editors_group  # noqa: PLC0415 - models load only in ready()
        from cms.admin.views import PREVIEW_TEMPLATE, document_preview_context  # noqa: PLC0415 - models load only in ready()
        from cms.build import signals  # noqa: F401, PLC0415 - publish/unpublish/delete/import → the build queue
        from cms.models import DepartmentReview  # noqa: PLC0415 - models load only in ready()
        from content_models.models import Attachment, Department, DisclosureDocument  # noqa: PLC0415 - models load only in ready()

        post_save.connect(create_department_editors_group, sender=Department,
                          dispatch_uid="govsite_department_editors_group")
        pre_save.connect(keep_index_no, sender=DisclosureDocument, dispatch_uid="govsite_keep_index_no")
        published.connect(number_on_first_publish, dispatch_uid="govsite_number_on_first_publish")
        pre_save.connect(store_uploaded_file, sender=Attachment, dispatch_uid="govsite_store_uploaded_file")
        DisclosureDocument.register_preview(PREVIEW_TEMPLATE, document_preview_context)
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="govsite_create_cache_table")
        DisclosureDocument.register_workflow_resolver(document_workflow)
        post_save.connect(review_saved, sender=DepartmentReview, dispatch_uid="govsite_department_review")
