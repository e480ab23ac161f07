"""``govsite setup_departments``: (re)create the editors' groups, the platform administrators'
group and the moderation workflow, e.g. after departments were created by a bulk import."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cms.admin import permissions


class Command(BaseCommand):
    help = _("为每个部门站点创建（或修复）编辑用户组，并创建平台管理员用户组和“部门审核”工作流；可重复执行。")

    def handle(self, *args, **options):
        counts = permissions.setup_departments()
        self.stdout.write(
            _("已检查 %(n)d 个部门站点的编辑用户组；平台管理员用户组“%(admins)s”和工作流“%(workflow)s”已就绪。")
            % {
                "n": counts["departments"],
                "admins": permissions.PLATFORM_ADMINS_GROUP,
                "workflow": permissions.MODERATION_WORKFLOW,
            }
        )
