"""Documents waiting for the next incremental build (the job queue's to-do list).

A burst of publishes adds rows here; one build task takes them all, so bursts coalesce.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingChange(models.Model):
    source_id = models.CharField(_("来源标识"), max_length=128)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待生成的变更")
        verbose_name_plural = _("待生成的变更")
        indexes = [models.Index(fields=["source_id"])]

    def __str__(self) -> str:
        return self.source_id
