"""索引号 for documents written in the admin, as the form promises ("留空则自动生成").

An imported document without a number gets one at the end of its import; one created in the
admin gets it when it is first published (``published``, inside the publish transaction, so the
build that follows reads it), from the same counter (``allocate_index_nos``: never a number
another document has). A number once given is kept: a later revision saved before the number
existed (its form showed the field empty) does not erase it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cms.exchange.importer import allocate_index_nos, assign_organ_code
from content_models.models import Department, DisclosureDocument


def keep_index_no(sender, instance: DisclosureDocument, raw: bool = False, **kwargs) -> None:
    """``pre_save``: an empty 索引号 on a document that has one keeps the one it has."""
    if raw or instance.index_no or instance.pk is None:
        return
    stored = DisclosureDocument.objects.filter(pk=instance.pk).values_list("index_no", flat=True).first()
    if stored:
        instance.index_no = stored


def number_on_first_publish(sender, instance, **kwargs) -> None:
    """``published``: a live document without 索引号 gets the next one of its department and year."""
    if not isinstance(instance, DisclosureDocument) or instance.index_no:
        return
    with transaction.atomic():
        dept = Department.objects.select_for_update().get(pk=instance.department_id)
        organ_code = dept.organ_code or assign_organ_code(dept.pk)
        year = timezone.localtime(instance.published_at).year
        number = allocate_index_nos(organ_code, year, 1)[0]
        DisclosureDocument.objects.filter(pk=instance.pk, index_no="").update(index_no=number)
    instance.index_no = number
