"""What the public sees of consultations, in one place (the API and the static pages use it).

- a consultation: title, department, dates, state, the draft (document page, uploaded file at its
  static ``/files/...`` URL, or text) and, once reported, the final policy;
- its comments: only approved ones, with the name masked (许文华 → 许*华) and the text the
  moderator approved (``Comment.public_text``); how many duplicates were merged into each;
- the 采纳情况 feedback report: counts (received, valid, rejected, merged, adopted, partly, not
  adopted) and the decision with its reason for each approved comment.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from cms.service_modules import FileLinks, document_link
from services.consultations.models import Comment, Consultation, State
from services.masking import mask_name, mask_text


def visible() -> list[Consultation]:
    """Every consultation the public sees (all of them: an upcoming one is announced), newest first."""
    return list(Consultation.objects.select_related("department", "draft_document__department", "draft_file",
                                                    "final_policy__department").order_by("-start_date", "-id"))


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
        "draft_text": c.draft_text, "url": f"/consultations/{c.number}/",
        "feedback_url": f"/consultations/{c.number}/feedback/" if state == State.REPORTED else None,
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
