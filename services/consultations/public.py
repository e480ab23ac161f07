"""What the public sees of consultations, in one place (the API and the static pages use it).

- a consultation: title, department, dates, state, the draft (document page, uploaded file at its
  static ``/files/...`` URL, or text) and, once reported, the final policy;
- its comments: only approved ones, with the name masked (许文华 → 许*华) and the text the
  moderator approved (``Comment.public_text``); how many duplicates were merged into each;
- the 采纳情况 feedback report: counts (received, valid, rejected, merged, adopted, partly, not
  adopted) and the decision with its reason for each approved comment;
- the links back from the draft's and the final policy's own document pages (``document_links``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cms.service_modules import FileLinks, document_link
from content_models.models import DisclosureDocument
from services.consultations.models import Comment, Consultation, State
from services.masking import mask_name, mask_text


def visible() -> list[Consultation]:
    """Every consultation the public sees (all of them: an upcoming one is announced), newest first."""
    return list(Consultation.objects.select_related("department", "draft_document__department", "draft_file",
                                                    "final_policy__department").order_by("-start_date", "-id"))


def page_url(c: Consultation) -> str:
    return f"/consultations/{c.number}/"


def feedback_url(c: Consultation) -> str:
    return f"/consultations/{c.number}/feedback/"


def consultation_row(c: Consultation, today: dt.date, files: FileLinks | None = None) -> dict:
    """``files``: the read's ``FileLinks`` (the uploaded draft is linked at its static ``/files/...``
    URL and published with the page; ``draft_file["stored"]`` goes into the page's files)."""
    state = c.state(today)
    draft_file = None
    if c.draft_file is not None:
        files = files or FileLinks()
        draft_file = files.link(c.draft_file)
    return {
        "number": c.number, "title": c.title, "department": c.department.name, "summary": c.summary,
        "start_date": c.start_date, "end_date": c.end_date, "state": state.value, "state_label": str(state.label),
        "contact": c.contact, "draft_document": document_link(c.draft_document), "draft_file": draft_file,
        "draft_text": c.draft_text, "url": page_url(c),
        "feedback_url": feedback_url(c) if state == State.REPORTED else None,
        "final_policy": document_link(c.final_policy) if state == State.REPORTED else None,
        "feedback_date": c.feedback_date if state == State.REPORTED else None,
    }


def public_comments(consultation_id: int, *, decisions: bool = False) -> list[dict]:
    """The approved comments as shown, oldest first, each with its merged duplicates counted; with
    the department's decision only in the published report (``decisions``)."""
    rows = (Comment.objects.filter(consultation_id=consultation_id, status=Comment.Status.APPROVED)
            .annotate(merged=Count("duplicates", filter=Q(duplicates__status=Comment.Status.MERGED)))
            .order_by("received_at", "id")
            .values("number", "name", "public_text", "received_at", "merged", "adoption", "adoption_reason"))
    out = []
    for r in rows:
        row = {"number": r["number"], "name": mask_name(r["name"]), "text": mask_text(r["public_text"]),
               "date": timezone.localtime(r["received_at"]).date(), "merged": r["merged"]}
        if decisions:
            row.update(adoption=r["adoption"], adoption_reason=r["adoption_reason"],
                       adoption_label=str(Comment.Adoption(r["adoption"]).label) if r["adoption"] else "")
        out.append(row)
    return out


def feedback_report(consultation: Consultation) -> dict:
    """The 采纳情况 report: counts over every comment received and the decisions on approved ones."""
    counts = Comment.objects.filter(consultation=consultation).aggregate(
        received=Count("id"),
        approved=Count("id", filter=Q(status=Comment.Status.APPROVED)),
        rejected=Count("id", filter=Q(status=Comment.Status.REJECTED)),
        merged=Count("id", filter=Q(status=Comment.Status.MERGED)),
        adopted=Count("id", filter=Q(status=Comment.Status.APPROVED, adoption=Comment.Adoption.ADOPTED)),
        partly=Count("id", filter=Q(status=Comment.Status.APPROVED, adoption=Comment.Adoption.PARTLY)),
        not_adopted=Count("id", filter=Q(status=Comment.Status.APPROVED, adoption=Comment.Adoption.NOT_ADOPTED)),
    )
    reasons = list(Comment.objects.filter(consultation=consultation, status=Comment.Status.REJECTED)
                   .values_list("reject_reason", flat=True).order_by("id"))
    rejected_reasons = [{"reason": reason, "count": reasons.count(reason)} for reason in dict.fromkeys(reasons)]
    return {"counts": counts, "summary": consultation.feedback_summary, "rejected_reasons": rejected_reasons,
            "comments": public_comments(consultation.pk, decisions=True)}


def document_links(document_pks: list[int]) -> dict[int, list[dict]]:
    """What the draft's and the final policy's own pages link back to (``ConsultationsConfig.document_links``).

    The draft's page links the consultation (its state and dates) and, once published, the 采纳情况
    report; the final policy's page links both once the report is published (the report links it
    from then on: linked both ways). The state follows the date: ``signals.py`` names these
    documents when a consultation changes and at the moments it opens and closes.
    """
    today = timezone.localdate()
    wanted = set(document_pks)
    out: dict[int, list[dict]] = {}
    rows = (Consultation.objects.filter(Q(draft_document_id__in=wanted) | Q(final_policy_id__in=wanted))
            .only("number", "title", "start_date", "end_date", "feedback_published", "feedback_date",
                  "draft_document_id", "final_policy_id").order_by("-start_date", "-id"))
    for c in rows:
        state = c.state(today)
        links = [{"kind": pgettext("related link", "意见征集"), "title": c.title, "url": page_url(c),
                  "note": _("%(state)s，%(start)s 至 %(end)s") % {
                      "state": state.label, "start": f"{c.start_date:%Y-%m-%d}", "end": f"{c.end_date:%Y-%m-%d}"}}]
        if state == State.REPORTED:
            links.append({"kind": _("意见采纳情况"), "title": _("%(title)s 意见采纳情况") % {"title": c.title},
                          "url": feedback_url(c),
                          "note": _("%(date)s 发布") % {"date": f"{c.feedback_date:%Y-%m-%d}"} if c.feedback_date else ""})
        if c.draft_document_id in wanted:
            out.setdefault(c.draft_document_id, []).extend(links)
        if state == State.REPORTED and c.final_policy_id in wanted and c.final_policy_id != c.draft_document_id:
            out.setdefault(c.final_policy_id, []).extend(links)
    return out


def linked_documents(document_ids) -> list[str]:
    """The source ids of these documents (pks; None skipped), for naming them to the site build."""
    ids = {pk for pk in document_ids if pk}
    if not ids:
        return []
    return sorted(DisclosureDocument.objects.filter(pk__in=ids).values_list("source_id", flat=True).distinct())
