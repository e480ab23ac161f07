"""The catalogue as other modules see it (``GuidesConfig.item_catalogue``): an item's limits by code."""

from __future__ import annotations

from services.catalogue import ItemLimit
from services.guides.models import ServiceItem


class GuideCatalogue:
    def find(self, code: str) -> ItemLimit | None:
        row = (ServiceItem.objects.filter(code=code)
               .values("code", "name", "department__name", "promised_days", "statutory_days").first())
        if row is None:
            return None
        return ItemLimit(code=row["code"], name=row["name"], department=row["department__name"],
                         promised_days=row["promised_days"], statutory_days=row["statutory_days"])


limits = GuideCatalogue()
