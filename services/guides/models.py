"""The catalogue of service items (政务服务事项) and the channels they are listed in.

An item belongs to one department (``content_models.Department``: its editors edit only their
department's items), has its guide fields (办事指南要素), its required materials (each with the
blank form and the sample as uploaded files) and belongs to topics (主题: 教育、社保 …), audiences
(对象: 学生、退役军人 … — the 绿色通道 lists) and scenarios (场景: 企业开办 …, with the questions of
the scenario window).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.documents import get_document_model_string
from wagtail.models import Orderable

from content_models.models import Department

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SLUG_HELP = _("用于网址，只能包含字母、数字、连字符和下划线")


class ItemKind(models.TextChoices):
    """事项类型 (the categories of the national catalogue); the value is the legal term itself."""

    LICENSE = "行政许可", _("行政许可")
    PAYMENT = "行政给付", _("行政给付")
    CONFIRMATION = "行政确认", _("行政确认")
    LEVY = "行政征收", _("行政征收")
    AWARD = "行政奖励", _("行政奖励")
    RULING = "行政裁决", _("行政裁决")
    OTHER_POWER = "其他行政权力", _("其他行政权力")
    PUBLIC_SERVICE = "公共服务", _("公共服务")


class Channel(models.Model):
    """Base of the three ways of listing items (topic, audience, scenario)."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    slug = models.SlugField(_("网址代号"), max_length=50, unique=True, help_text=SLUG_HELP)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "slug"]

    def __str__(self) -> str:
        return self.name


class Topic(Channel):
    class Meta(Channel.Meta):
        verbose_name = _("办事主题")
        verbose_name_plural = _("办事主题")


class Audience(Channel):
    class Meta(Channel.Meta):
        verbose_name = _("服务对象")
        verbose_name_plural = _("服务对象")


class Scenario(Channel, ClusterableModel):
    intro = models.TextField(_("场景说明"), blank=True)

    class Meta(Channel.Meta):
        verbose_name = _("办事场景")
        verbose_name_plural = _("办事场景")


class ServiceItem(ClusterableModel):
    department = models.ForeignKey(Department, verbose_name=_("实施部门"), on_delete=models.PROTECT,
                                   related_name="service_items")
    name = models.CharField(_("事项名称"), max_length=200)
    code = models.CharField(_("事项编码"), max_length=64, unique=True,
                            validators=[RegexValidator(CODE_RE, _("事项编码只能包含字母、数字和 . _ -，不超过 64 个字符"))],
                            help_text=_("用于网址和导入导出，例如 11350583MB0123456K4000117001"))
    kind = models.CharField(_("事项类型"), max_length=20, choices=ItemKind.choices, default=ItemKind.PUBLIC_SERVICE)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    conditions = models.TextField(_("申请条件"), blank=True)
    statutory_days = models.PositiveSmallIntegerField(_("法定办结时限（工作日）"), null=True, blank=True)
    promised_days = models.PositiveSmallIntegerField(_("承诺办结时限（工作日）"),
                                                     help_text=_("办件按此时限计算办结期限，0 表示即办"))
    fees = models.TextField(_("收费标准"), default="不收费")
    steps = models.TextField(_("办理流程"), blank=True, help_text=_("每行一个步骤"))
    place = models.CharField(_("办理地点"), max_length=300, blank=True)
    hours = models.CharField(_("办理时间"), max_length=300, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=100, blank=True)
    online_url = models.URLField(_("网上办理地址"), max_length=500, blank=True)
    topics = ParentalManyToManyField(Topic, verbose_name=_("办事主题"), blank=True, related_name="items")
    audiences = ParentalManyToManyField(Audience, verbose_name=_("服务对象"), blank=True, related_name="items")
    scenarios = ParentalManyToManyField(Scenario, verbose_name=_("办事场景"), blank=True, related_name="items")
    published = models.BooleanField(_("在网站公开"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        ordering = ["department__sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        super().clean()
        if self.statutory_days is not None and self.promised_days is not None and self.promised_days > self.statutory_days:
            raise ValidationError({"promised_days": _("承诺时限不能超过法定时限")})

    def step_list(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]


class Material(Orderable):
    """A required material (申请材料): how many copies and originals, its blank form and sample."""

    item = ParentalKey(ServiceItem, related_name="materials", on_delete=models.CASCADE)
    name = models.CharField(_("材料名称"), max_length=300)
    originals = models.PositiveSmallIntegerField(_("原件份数"), default=0)
    copies = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    required = models.BooleanField(_("必须提交"), default=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    blank_form = models.ForeignKey(get_document_model_string(), verbose_name=_("空白表格"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    sample = models.ForeignKey(get_document_model_string(), verbose_name=_("示例样表"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta(Orderable.Meta):
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self) -> str:
        return self.name


class ScenarioChoice(Orderable, ClusterableModel):
    """One answer to one question of a scenario window, and the items that answer leads to."""

    scenario = ParentalKey(Scenario, related_name="choices", on_delete=models.CASCADE)
    question = models.CharField(_("问题"), max_length=200, help_text=_("同一问题的各个选项填写相同的问题文字"))
    answer = models.CharField(_("选项"), max_length=200)
    items = ParentalManyToManyField(ServiceItem, verbose_name=_("需要办理的事项"), blank=True, related_name="+")

    class Meta(Orderable.Meta):
        verbose_name = _("场景问题选项")
        verbose_name_plural = _("场景问题选项")

    def __str__(self) -> str:
        return f"{self.question} {self.answer}"
