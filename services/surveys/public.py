"""What the public sees of surveys, in one place (the API and the static pages use it): the survey
with its state and dates, its questions as a form, and, once published, its results."""

from __future__ import annotations

import datetime as dt

from services.surveys.models import Question, State, Survey


def visible() -> list[Survey]:
    """Every survey, newest first, with its department and questions (two queries)."""
    return list(Survey.objects.select_related("department").prefetch_related("questions")
                .order_by("-start_date", "-id"))


def question_row(q: Question, number: int) -> dict:
    row = {"id": q.pk, "number": number, "kind": q.kind, "kind_label": str(Question.Kind(q.kind).label),
           "text": q.text, "required": q.required}
    if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        row["options"] = q.option_list()
    if q.kind == Question.Kind.SCALE:
        row["scale_max"] = q.scale_max
        row["scale_labels"] = q.scale_labels
    return row


def survey_row(s: Survey, today: dt.date) -> dict:
    state = s.state(today)
    return {
        "number": s.number, "title": s.title, "department": s.department.name, "description": s.description,
        "start_date": s.start_date, "end_date": s.end_date, "state": state.value, "state_label": str(state.label),
        "verification": s.verification, "url": f"/surveys/{s.number}/",
        "results_url": f"/surveys/{s.number}/results/" if state == State.PUBLISHED else None,
        "csv_url": f"/surveys/{s.number}/results.csv" if state == State.PUBLISHED else None,
        "results_date": s.results_date if state == State.PUBLISHED else None,
        "results_note": s.results_note if state == State.PUBLISHED else "",
        "questions": [question_row(q, n) for n, q in enumerate(s.questions.all(), 1)],
    }
