"""Service items as other modules see them: the promised time limit of an item, by its code.

A module that keeps a catalogue of service items (事项) hands in an :class:`ItemCatalogue` through
its AppConfig's ``item_catalogue`` hook; a module whose cases are linked to an item (a status
application, a request) asks :func:`find_item` and takes the item's promised limit, so the
deadline and the supervision built on it come from the catalogue. No module imports another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cms.service_modules import resolve_hook
from services.module import service_modules


@dataclass(frozen=True)
class ItemLimit:
    code: str
    name: str
    department: str  # the department's name
    promised_days: int  # working days
    statutory_days: int | None


@runtime_checkable
class ItemCatalogue(Protocol):
    def find(self, code: str) -> ItemLimit | None:
        """The item with this code, or None."""


def find_item(code: str) -> ItemLimit | None:
    """The item ``code`` in the first catalogue that has it (None when no module keeps one)."""
    code = (code or "").strip()
    if not code:
        return None
    for module in service_modules():
        catalogue = resolve_hook(module.item_catalogue)
        if catalogue is not None:
            found = catalogue.find(code)
            if found is not None:
                return found
    return None
