"""A public reply becomes a disclosure document (信息类别 建议提案办理), published through Wagtail's
revision publish so the build queue takes it like an editor's publish; withdrawn when the reply
is no longer public."""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import escape, linebreaks
from wagtail.models import Locale

from content_models.models import DisclosureDocument
from services.proposals.models import DOCUMENT_CATEGORY, Proposal


def source_id(proposal: Proposal) -> str:
    return f"proposal-{proposal.kind}-{proposal.year}-{proposal.serial}"


def reply_title(proposal: Proposal) -> str:
    what = "代表建议" if proposal.kind == Proposal.Kind.NPC else "委员提案"
    return f"关于{proposal.session}第{proposal.serial.strip('第号')}号{what}的答复（{proposal.title}）"[:500]


def sync(proposal: Proposal) -> DisclosureDocument | None:
    """Publish, update or withdraw the reply's document to match the proposal."""
    locale = Locale.get_default()
    doc = DisclosureDocument.objects.filter(source_id=source_id(proposal), locale=locale).first()
    public = proposal.status == Proposal.Status.ANSWERED and proposal.reply_public and proposal.department_id
    if not public:
        if doc is not None and doc.live:
            doc.unpublish()
        return None
    if doc is None:
        doc = DisclosureDocument(source_id=source_id(proposal), locale=locale, published_at=timezone.now())
    doc.department = proposal.department
    doc.organ = proposal.department.name
    doc.title = reply_title(proposal)
    doc.category = DOCUMENT_CATEGORY
    doc.written = proposal.answered_on
    doc.summary = f"{proposal.get_kind_display()}：{proposal.title}（{proposal.proposer}）"
    doc.body = linebreaks(escape(proposal.reply))
    doc.save()
    doc.save_revision().publish()
    Proposal.objects.filter(pk=proposal.pk).update(published_source_id=doc.source_id)
    return doc
