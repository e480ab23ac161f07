"""A survey's results, counted by the database from the stored answers (never kept as counters,
so what is published is always a recount), and the same as CSV.

A handful of grouped queries whatever the number of answers: the answer rows are grouped by
(question, choice, value) over their index; only multiple-choice questions need a distinct count
of respondents. Free text: only moderated, approved answers are shown, with the number received.
"""

from __future__ import annotations

import csv
import io

from django.db.models import Count

from services.surveys.models import Answer, Question, Response, Survey, TextAnswer


def _percent(n: int, total: int) -> float:
    return round(100.0 * n / total, 1) if total else 0.0


def compute(survey: Survey) -> dict:
    """``{"total": responses, "questions": [...]}``: per question its options (or scale values)
    with counts and percentages of the question's respondents, the average of a scale, and the
    approved free-text answers."""
    questions = list(survey.questions.all())
    qids = [q.pk for q in questions]
    total = Response.objects.filter(survey=survey).count()
    grouped: dict[int, dict[int, int]] = {pk: {} for pk in qids}
    for question_id, choice, value, n in (Answer.objects.filter(question_id__in=qids)
                                          .values_list("question_id", "choice", "value")
                                          .annotate(n=Count("id")).order_by()):
        key = choice if choice is not None else value
        grouped[question_id][key] = grouped[question_id].get(key, 0) + n
    multiple = [q.pk for q in questions if q.kind == Question.Kind.MULTIPLE]
    distinct = dict(Answer.objects.filter(question_id__in=multiple).values_list("question_id")
                    .annotate(n=Count("response_id", distinct=True)).order_by()) if multiple else {}
    received = dict(TextAnswer.objects.filter(question_id__in=qids).values_list("question_id")
                    .annotate(n=Count("id")).order_by())
    approved: dict[int, list[str]] = {}
    for question_id, text in (TextAnswer.objects.filter(question_id__in=qids, status=TextAnswer.Status.APPROVED)
                              .order_by("id").values_list("question_id", "public_text")):
        approved.setdefault(question_id, []).append(text)
    out = []
    for number, q in enumerate(questions, 1):
        counts = grouped[q.pk]
        row = {"number": number, "id": q.pk, "kind": q.kind, "kind_label": str(Question.Kind(q.kind).label),
               "text": q.text}
        if q.kind == Question.Kind.TEXT:
            row.update(received=received.get(q.pk, 0), texts=approved.get(q.pk, []))
        else:
            if q.kind == Question.Kind.SCALE:
                labels = [str(v) for v in range(1, q.scale_max + 1)]
                keys = list(range(1, q.scale_max + 1))
            else:
                labels = q.option_list()
                keys = list(range(len(labels)))
            respondents = distinct.get(q.pk, 0) if q.kind == Question.Kind.MULTIPLE else sum(counts.values())
            row["respondents"] = respondents
            row["options"] = [{"label": label, "count": counts.get(key, 0),
                               "percent": _percent(counts.get(key, 0), respondents)}
                              for label, key in zip(labels, keys, strict=True)]
            if q.kind == Question.Kind.SCALE:
                weighted = sum(key * counts.get(key, 0) for key in keys)
                row["average"] = round(weighted / respondents, 2) if respondents else None
                row["scale_labels"] = q.scale_labels
        out.append(row)
    return {"total": total, "questions": out}


def as_csv(survey: Survey, results: dict) -> str:
    """The results as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def row(*cells) -> None:
        writer.writerow([_cell(c) for c in cells])

    row("调查", survey.title)
    row("有效答卷", results["total"])
    row("题号", "题目", "题型", "选项或分值", "人数", "比例(%)")
    for q in results["questions"]:
        if q["kind"] == Question.Kind.TEXT:
            row(q["number"], q["text"], q["kind_label"], "收到回答", q["received"], "")
            for text in q["texts"]:
                row(q["number"], q["text"], q["kind_label"], text, "", "")
            continue
        for option in q["options"]:
            row(q["number"], q["text"], q["kind_label"], option["label"], option["count"], option["percent"])
        if q.get("average") is not None:
            row(q["number"], q["text"], q["kind_label"], "平均分", q["average"], "")
    return "\ufeff" + buffer.getvalue()


def _cell(value: object) -> object:
    """Text must not run as a spreadsheet formula (CSV injection): = + - @ get a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
