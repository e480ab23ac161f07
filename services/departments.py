"""One rule for turning a department named in free text into a department record.

Older rows of the status module and of supervision named their department in free text; the
other modules route to ``content_models.Department`` (the same departments as the document
sites). The data migrations, the saves that still receive a name (a catalogue item names its
department) and ``govsite map_departments`` all use this one rule, so a name maps the same way
everywhere. Nothing here imports models: migrations pass their historical ``Department``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

_SPACE = re.compile(r"[\s\u3000]+")


def normalize(name: str) -> str:
    """A name as compared: spaces (also full-width) dropped, Latin letters in lower case."""
    return _SPACE.sub("", name or "").lower()


class DepartmentNames:
    """The departments by name, for repeated look-ups (``match``).

    A name matches a department when it is the department's name or its site code (slug), ignoring
    spaces and case; else when exactly one department's name ends with it or is ended by it (``县
    教育局`` for ``教育局``, ``教育局`` for ``南安市教育局``). An ambiguous or unknown name matches
    nothing: a wrong department would show a case to the wrong staff.
    """

    def __init__(self, departments: Iterable) -> None:
        self.rows = [(normalize(d.name), normalize(d.slug), d.pk) for d in departments]
        self.exact: dict[str, int | None] = {}
        for name, slug, pk in self.rows:
            for key in (name, slug):
                if key:
                    # two departments with the same name: the name no longer tells them apart
                    self.exact[key] = pk if self.exact.get(key, pk) == pk else None

    def match(self, text: str) -> int | None:
        """The id of the department ``text`` names, or None."""
        key = normalize(text)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key]
        found = {pk for name, _slug, pk in self.rows if name and (name.endswith(key) or key.endswith(name))}
        return found.pop() if len(found) == 1 else None


@dataclass
class MappingReport:
    """What a mapping run did: rows mapped, and the names it could not map with their row counts."""

    label: str
    mapped: int = 0
    unmapped: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = [f"{self.label}：{self.mapped} 条已对应到部门站点"]
        if self.unmapped:
            names = "、".join(f"“{name}”（{n} 条）" for name, n in sorted(self.unmapped.items()))
            out.append(f"{self.label}：{sum(self.unmapped.values())} 条未能对应，部门名称原样保留，"
                       f"请在管理后台选择部门：{names}")
        return out


def map_rows(queryset, text_field: str, fk_field: str, names: DepartmentNames, label: str) -> MappingReport:
    """Set ``fk_field`` from ``text_field`` on the rows of ``queryset`` that have a name and no
    department yet. The text is left as it was, so nothing typed before is lost."""
    report = MappingReport(label)
    pending = (queryset.filter(**{f"{fk_field}__isnull": True}).exclude(**{text_field: ""})
               .order_by().values_list(text_field, flat=True).distinct())
    for text in sorted(set(pending)):
        pk = names.match(text)
        rows = queryset.filter(**{f"{fk_field}__isnull": True, text_field: text})
        if pk is None:
            report.unmapped[text] = rows.count()
        else:
            report.mapped += rows.update(**{f"{fk_field}_id": pk})
    return report
