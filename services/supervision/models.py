"""Supervision rules (per item or department) and the cards issued for cases near or past deadline."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from content_models.models import Department


class Rule(models.Model):
    """Thresholds and who is told. The most specific rule wins: item, then department, then the default."""

    unit = models.ForeignKey(Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="supervision_rules", help_text=_("留空表示所有部门"))
    # the department's name: set from ``unit``; a rule from before departments were records keeps
    # the name it was typed with until an administrator picks its department
    department = models.CharField(_("部门名称"), max_length=100, blank=True,
                                  help_text=_("选择部门后自动填写"))
    item = models.CharField(_("事项"), max_length=200, blank=True, help_text=_("留空表示所有事项"))
    warn_days_left = models.PositiveSmallIntegerField(_("剩余几个工作日时预警"), default=2)
    red_after_days = models.PositiveSmallIntegerField(_("黄牌后几个工作日仍未办结出红牌"), default=5)
    section_head_contact = models.CharField(_("科室负责人联系方式"), max_length=200, blank=True,
                                            help_text=_("电子邮箱或手机号，多个用逗号分隔"))
    leader_contact = models.CharField(_("单位领导联系方式"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("监察规则")
        verbose_name_plural = _("监察规则")
        constraints = [models.UniqueConstraint(fields=["department", "item"], name="svc_supervision_rule_uniq")]

    def __str__(self) -> str:
        return f"{self.department or '所有部门'} / {self.item or '所有事项'}"

    def save(self, *args, **kwargs):
        if self.unit_id:
            self.department = self.unit.name[:100]
        super().save(*args, **kwargs)


class Card(models.Model):
    class Level(models.TextChoices):
        WARNING = "warning", _("预警")
        YELLOW = "yellow", _("黄牌")
        RED = "red", _("红牌")

    module = models.CharField(_("模块"), max_length=40)
    number = models.CharField(_("编号"), max_length=40)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    department = models.CharField(_("部门"), max_length=100, db_index=True)
    # the department whose staff see the card in their queue (None: only the administrators)
    unit = models.ForeignKey(Department, verbose_name=_("部门站点"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="supervision_cards")
    item = models.CharField(_("事项"), max_length=200, blank=True)
    deadline = models.DateField(_("办理期限"))
    issued_on = models.DateField(_("发出日期"))
    recipients = models.TextField(_("通知对象"), blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    resolved_on = models.DateField(_("办结日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("监察牌")
        verbose_name_plural = _("监察牌")
        ordering = ["-issued_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["module", "number", "level"], name="svc_card_once_per_level")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.module}:{self.number}"
