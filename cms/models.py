"""What is waiting for the next incremental build (the job queue's to-do list).

A burst of publishes adds rows here; one build task takes them all, so bursts coalesce.
A row is either a changed document (``kind="document"``, its ``source_id``) or a request for a
build although no document changed (``kind="pages"``: a service module's data shown on the site
changed, e.g. a letter answered or withdrawn; ``source_id`` holds the reason). Every build reads
the service modules' pages again and writes those that changed.

Also here: the site's structure edited by editors, columns (栏目) and standalone pages (栏目单页);
their changes ask for a build the same way (a ``pages`` row), see ``cms.build.site_structure``.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin

from content_models import sanitizer, vocabularies
from content_models.fields import CleanRichTextField
from content_models.models import CATEGORY_CHOICES, Department
from site_generator import docinfo

COLUMN_TYPE_CHOICES = [(t, t) for t in vocabularies.COLUMN_TYPES]


class PendingChange(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("文件")
        PAGES = "pages", _("服务模块页面")

    source_id = models.CharField(_("来源标识"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.DOCUMENT)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待生成的变更")
        verbose_name_plural = _("待生成的变更")
        indexes = [models.Index(fields=["source_id"])]

    def __str__(self) -> str:
        return self.source_id if self.kind == self.Kind.DOCUMENT else f"[{self.kind}] {self.source_id}"


class Column(models.Model):
    """A column (栏目) of the portal or of a department's site, edited by its editors.

    The tree gives the header's and the departments' navigation and every page's ColumnName,
    ColumnType, ColumnDescription and ColumnKeywords (《政府网站发展指引》); the type sets how often
    the self-inspection expects an update (``vocabularies.COLUMN_STALE_DAYS``, or ``stale_days``).
    A column lists the documents of one 信息类别, or shows a standalone page, or links elsewhere.
    """

    department = models.ForeignKey(
        Department, verbose_name=_("部门站点"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="columns", help_text=_("留空为门户网站的栏目"),
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上级栏目"), null=True, blank=True, on_delete=models.CASCADE, related_name="children",
    )
    name = models.CharField(_("栏目名称"), max_length=64)
    column_type = models.CharField(_("栏目类型"), max_length=16, choices=COLUMN_TYPE_CHOICES,
                                   default=vocabularies.COLUMN_DISCLOSURE)
    description = models.CharField(_("栏目描述"), max_length=255, blank=True)
    keywords = models.CharField(_("栏目关键词"), max_length=255, blank=True, help_text=_("多个关键词用逗号分隔"))
    category = models.CharField(
        _("信息类别"), max_length=32, blank=True, choices=CATEGORY_CHOICES,
        help_text=_("本栏目列出的公开文件类别；留空则显示栏目单页或链接"),
    )
    link = models.CharField(_("链接地址"), max_length=300, blank=True,
                            help_text=_("留空时链接到信息类别列表或本栏目的第一个单页"))
    in_nav = models.BooleanField(_("在导航中显示"), default=True)
    stale_days = models.PositiveIntegerField(
        _("更新周期（天）"), null=True, blank=True, help_text=_("超过此天数未更新即在自查中报告；留空按栏目类型的检查要求"),
    )
    sort_order = models.IntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("栏目")
        verbose_name_plural = _("栏目")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.parent_id:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("栏目不能是自己的上级栏目")})
            if self.parent.department_id != self.department_id:
                raise ValidationError({"parent": _("上级栏目必须属于同一站点")})


class StandalonePage(DraftStateMixin, LockableMixin, RevisionMixin, models.Model):
    """A page of its own (公开指南, 公开制度, 机构职能, 领导信息, 联系我们, ...), built like a document:
    drafts, revisions, scheduled publishing; publishing it rewrites its one page of the site."""

    department = models.ForeignKey(
        Department, verbose_name=_("部门站点"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="standalone_pages", help_text=_("留空为门户网站的页面"),
    )
    column = models.ForeignKey(
        Column, verbose_name=_("所属栏目"), null=True, blank=True, on_delete=models.SET_NULL, related_name="pages",
    )
    slug = models.SlugField(_("网址名称"), max_length=64, help_text=_("页面地址中的名称，例如 gkzn（公开指南）"))
    title = models.CharField(_("标题"), max_length=200)
    body = CleanRichTextField(_("正文"), blank=True, features=list(sanitizer.EDITOR_FEATURES))
    sort_order = models.IntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("栏目单页")
        verbose_name_plural = _("栏目单页")
        constraints = [models.UniqueConstraint(fields=["department", "slug"], name="uniq_standalone_page_slug",
                                               nulls_distinct=False)]

    def __str__(self) -> str:
        return self.title

    @property
    def url(self) -> str:
        site = self.department.slug if self.department_id else ""
        return standalone_url(site, self.slug)

    def clean(self) -> None:
        super().clean()
        problem = standalone_slug_problem(self.slug, self.department.slug if self.department_id else "",
                                          set(Department.objects.values_list("slug", flat=True)))
        if problem:
            raise ValidationError({"slug": problem})
        if self.column_id and self.column.department_id != self.department_id:
            raise ValidationError({"column": _("所属栏目必须属于同一站点")})


def standalone_url(site: str, slug: str) -> str:
    return f"/{site}/{slug}/" if site else f"/{slug}/"


def standalone_slug_problem(slug: str, site: str, department_slugs: set[str]) -> str:
    """Why a page cannot take this address (it would hide a generated one), or ""."""
    if not slug:
        return ""
    if slug.isdigit() or re.fullmatch(r"c(\d\d|-.*)|t(\d\d|-.*)|page|index", slug):
        return gettext("该网址名称与自动生成的列表页冲突，请换一个")
    if not site and (slug in docinfo.RESERVED or slug in department_slugs):
        return gettext("该网址名称已被站点使用（栏目、部门站点或系统页面），请换一个")
    return ""


class DepartmentReview(models.Model):
    """How many review steps a department's documents go through before they are published.

    0: the department's editors publish directly; 1: the department's reviewers (审核人) approve;
    2: the department's reviewers, then the platform administrators. ``cms.admin.moderation``
    keeps one Wagtail workflow per department in step with this row.
    """

    class Steps(models.IntegerChoices):
        NONE = 0, _("不审核，直接发布")
        ONE = 1, _("一级审核（本部门审核人）")
        TWO = 2, _("二级审核（本部门审核人、平台管理员）")

    department = models.OneToOneField(Department, verbose_name=_("部门站点"), on_delete=models.CASCADE,
                                      related_name="review")
    steps = models.PositiveSmallIntegerField(_("审核步骤"), choices=Steps.choices, default=Steps.ONE)
    workflow = models.ForeignKey("wagtailcore.Workflow", verbose_name=_("审核流程"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", editable=False)
    reviewers = models.ForeignKey("auth.Group", verbose_name=_("审核人用户组"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="reviewed_departments", editable=False)

    class Meta:
        verbose_name = _("审核设置")
        verbose_name_plural = _("审核设置")

    def __str__(self) -> str:
        return f"{self.department}：{self.get_steps_display()}"


class WordCheck(models.Model):
    """A wrong word or expression (错别字, 严重表述错误: a misnamed leader, place or body) the
    self-inspection reports and the editor warns about before publishing."""

    class Kind(models.TextChoices):
        TYPO = "typo", _("错别字")
        SERIOUS = "serious", _("严重表述错误")

    wrong = models.CharField(_("错误写法"), max_length=100, unique=True)
    correct = models.CharField(_("正确写法"), max_length=100, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.TYPO)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["wrong"]
        verbose_name = _("错敏词")
        verbose_name_plural = _("错敏词")

    def __str__(self) -> str:
        return self.wrong
