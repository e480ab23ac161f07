"""What the public sees of letters, in one place: which letters (``Letter.objects.public()``), in
which order, which fields, with the writer's name masked. The API, the static pages, the statistics
by department and the signals that ask for a site build all use it."""

from __future__ import annotations

from services.letters.models import Letter, LetterQuerySet
from services.masking import mask_name, mask_text

# The fields a public letter shows (the signals watch these and more: services.letters.signals).
FIELDS = ("number", "kind", "subject", "text", "name", "accepted_on", "answered_on", "answer_department", "answer")


def public_letters() -> LetterQuerySet:
    """The public letters, newest answer first."""
    return Letter.objects.public().order_by("-answered_on", "-id")


def public_row(letter: dict) -> dict:
    """A public letter as shown: the kind's label, the writer's name masked (许文华 → 许*华), and
    ID-card, bank-card and phone numbers and e-mail addresses masked in every text."""
    return {
        "number": letter["number"], "kind": str(Letter.Kind(letter["kind"]).label),
        "subject": mask_text(letter["subject"]), "text": mask_text(letter["text"]), "name": mask_name(letter["name"]),
        "accepted_on": letter["accepted_on"], "answered_on": letter["answered_on"],
        "answer_department": letter["answer_department"], "answer": mask_text(letter["answer"]),
    }


def public_rows() -> list[dict]:
    """Every public letter as shown, newest answer first (one query)."""
    return [public_row(row) for row in public_letters().values(*FIELDS)]
