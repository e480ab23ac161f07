"""What is waiting for the next incremental build (the job queue's to-do list).

A burst of publishes adds rows here; one build task takes them all, so bursts coalesce.
A row is either a changed document (``kind="document"``, its ``source_id``) or a request for a
build although no document changed (``kind="pages"``: a service module's data shown on the site
changed, e.g. a letter answered or withdrawn; ``source_id`` holds the reason). Every build reads
the service modules' pages again and writes those that changed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
