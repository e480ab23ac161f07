"""What a disclosure document is, as stored and edited in the CMS.

Documents are Wagtail snippets with drafts, revisions, locking, preview, moderation workflows,
scheduled publishing and translations, grouped by department (集约化: one section per department).
Why snippets and not pages: see docs/adr/0005-documents-are-snippets.md.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.documents import get_document_model_string
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
    TranslatableMixin,
    WorkflowMixin,
)

from content_models import identifiers, sanitizer, vocabularies
from content_models.fields import CleanRichTextField

TOPIC_CHOICES = [(t, t) for t in vocabularies.TOPICS]
CATEGORY_CHOICES = [(c, c) for c in vocabularies.CATEGORIES]
VALIDITY_CHOICES = [(v, v) for v in vocabularies.VALIDITY]


class Department(models.Model):
    """A department or township site (部门站点); its editors' group may edit only its documents."""

    slug = models.SlugField(_("站点代号"), max_length=64, unique=True)
    name = models.CharField(_("部门名称"), max_length=128)
    organ_code = models.CharField(
        _("机构代码"), max_length=32, blank=True, help_text=_("用于生成索引号，例如 1135058300001")
    )
    doc_no_prefix = models.CharField(_("发文机关代字"), max_length=32, blank=True)
    sort_order = models.IntegerField(_("排序"), default=0)
    editors = models.OneToOneField(
        Group,
        verbose_name=_("编辑用户组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="department",
    )

    class Meta:
        ordering = ["sort_order", "slug"]
        verbose_name = _("部门站点")
        verbose_name_plural = _("部门站点")

    def __str__(self) -> str:
        return self.name


class IndexNoCounter(models.Model):
    """The last serial handed out per organ code and year, so generated 索引号 never collide."""

    organ_code = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organ_code", "year"], name="uniq_index_counter")]


class DisclosureDocument(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    TranslatableMixin,
    ClusterableModel,
):
    """One government document with its full disclosure metadata (政府信息公开)."""

    source_id = models.CharField(
        _("来源标识"), max_length=128, help_text=_("来源系统中的唯一标识；重复导入时据此更新")
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门站点"), on_delete=models.PROTECT, related_name="documents"
    )
    organ = models.CharField(_("发布机构"), max_length=128)
    index_no = models.CharField(_("索引号"), max_length=64, blank=True, help_text=_("留空则自动生成"))
    doc_no = models.CharField(_("发文字号"), max_length=64, blank=True)
    title = models.CharField(_("标题"), max_length=500)
    category = models.CharField(_("信息类别"), max_length=32, blank=True, choices=CATEGORY_CHOICES)
    topic = models.CharField(_("主题分类"), max_length=32, blank=True, choices=TOPIC_CHOICES)
    written = models.DateField(_("成文日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布日期"))
    validity = models.CharField(_("有效性"), max_length=4, blank=True, choices=VALIDITY_CHOICES)
    keywords = models.JSONField(_("主题词"), default=list, blank=True)
    summary = models.TextField(_("内容概述"), blank=True)
    body = CleanRichTextField(_("正文"), blank=True, features=list(sanitizer.EDITOR_FEATURES))
    interprets = models.ForeignKey(
        "self",
        verbose_name=_("解读的政策"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interpretations",
    )
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("替代文件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        help_text=_("失效或废止时，取代本文件的新文件"),
    )
    lang = models.CharField(_("语言"), max_length=16, default="zh-hans")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("公开文件")
        verbose_name_plural = _("公开文件")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_id", "locale"], name="uniq_document_source_locale"),
            models.UniqueConstraint(
                fields=["index_no", "locale"],
                condition=~models.Q(index_no=""),
                name="uniq_document_index_no_locale",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "-published_at"]),
            models.Index(fields=["category", "-published_at"]),
            models.Index(fields=["topic", "-published_at"]),
            models.Index(fields=["validity"]),
            models.Index(fields=["doc_no"]),
            # Newest-first listings without a department/category/topic filter: the admin list
            # (all locales) and the API (one locale). Without them SQLite sorts all rows (~0.5 s at 200k).
            models.Index(fields=["-published_at", "-id"], name="doc_published_idx"),
            # The API lists live documents of one locale; partial, so its count reads only the index.
            models.Index(
                fields=["locale", "-published_at", "-id"], condition=models.Q(live=True), name="doc_live_locale_pub_idx"
            ),
            # Admin search scans this small covering index (substring match), not the table with bodies.
            models.Index(fields=["title", "doc_no", "organ"], name="doc_search_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    # How the CMS previews a document is editing, not meaning: ``cms`` registers the template and
    # the context function (``CmsConfig.ready()``), so this module never imports the CMS.
    _preview: ClassVar[tuple[str, Callable[[Any, Any], dict]] | None] = None

    @classmethod
    def register_preview(cls, template_name: str, context: Callable[[Any, Any], dict]) -> None:
        """Preview documents with ``template_name`` and ``context(document, request)``."""
        cls._preview = (template_name, context)

    def get_preview_template(self, request, mode_name):
        if self._preview is None:
            return super().get_preview_template(request, mode_name)
        return self._preview[0]

    def get_preview_context(self, request, mode_name):
        if self._preview is None:
            return super().get_preview_context(request, mode_name)
        return self._preview[1](self, request)

    # Which moderation workflow a document goes through is the CMS's policy (per department, set in
    # ``CmsConfig.ready()``): ``resolver(document)`` returns ``(decided, workflow or None)``.
    _workflow_resolver: ClassVar[Callable[[Any], tuple[bool, Any]] | None] = None

    @classmethod
    def register_workflow_resolver(cls, resolver: Callable[[Any], tuple[bool, Any]]) -> None:
        cls._workflow_resolver = resolver

    def get_workflow(self):
        if self._workflow_resolver is not None:
            decided, workflow = type(self)._workflow_resolver(self)
            if decided:
                return workflow
        return super().get_workflow()

    def metadata_rows(self) -> list[tuple[str, str]]:
        """The disclosure metadata table (索引号, 发文字号, ...) as (label, value) pairs, in reading order."""
        written = self.written.strftime("%Y-%m-%d") if self.written else ""
        published = self.published_at.strftime("%Y-%m-%d") if self.published_at else ""
        return [
            (gettext("索引号"), self.index_no or ""),
            (gettext("发布机构"), self.organ or ""),
            (gettext("发文字号"), self.doc_no or ""),
            (gettext("信息类别"), self.category or ""),
            (gettext("主题分类"), self.topic or ""),
            (gettext("成文日期"), written),
            (gettext("发布日期"), published),
            (gettext("有效性"), self.validity or ""),
            (gettext("主题词"), " ".join(self.keywords or [])),
        ]

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.doc_no:
            try:
                self.doc_no = identifiers.normalize_doc_no(self.doc_no)
            except identifiers.InvalidIdentifier as exc:
                errors["doc_no"] = str(exc)
        if self.index_no:
            try:
                identifiers.parse_index_no(self.index_no)
            except identifiers.InvalidIdentifier as exc:
                errors["index_no"] = str(exc)
        if sanitizer.images_without_alt(self.body):
            errors["body"] = _("正文中的图片必须填写替代文字（说明图片内容），方便视障读者使用读屏软件")
        if self.interprets_id and self.interprets_id == self.pk:
            errors["interprets"] = _("政策解读不能解读自身")
        if errors:
            raise ValidationError(errors)


class Attachment(Orderable):
    """A file attached to a document (附件), with the size and type readers see before downloading."""

    document = ParentalKey(DisclosureDocument, related_name="attachments", on_delete=models.CASCADE)
    title = models.CharField(_("附件名称"), max_length=500)
    file = models.CharField(
        _("文件"), max_length=500, blank=True,
        help_text=_("上传文件后自动填写；不上传时填写外部链接地址（http:// 或 https://）"),
    )
    size_bytes = models.BigIntegerField(_("文件大小（字节）"), null=True, blank=True)
    file_type = models.CharField(_("文件类型"), max_length=16, blank=True)
    # The stored file's SHA-256 (content_models.filestore); empty when no file is stored: an
    # outside link (http/https), or a file the import could not find (shown as 暂缺 on the site).
    sha256 = models.CharField(_("文件摘要（SHA-256）"), max_length=64, blank=True, editable=False)
    upload = models.ForeignKey(
        get_document_model_string(),
        verbose_name=_("上传文件"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(Orderable.Meta):
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if not self.upload_id and not self.file:
            raise ValidationError({"upload": _("请上传附件文件，或填写外部链接地址")})


class AttachmentText(models.Model):
    """The words of a stored attachment file, read once by its content hash (``content_models.extract``).

    Kept by hash, not by attachment: a file attached to many documents, or imported again, is
    read once. ``error`` says why a file could not be read (it is reported and skipped).
    """

    sha256 = models.CharField(max_length=64, primary_key=True)
    text = models.TextField(blank=True)
    error = models.CharField(max_length=200, blank=True)
    extracted_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("附件文字")
        verbose_name_plural = _("附件文字")
