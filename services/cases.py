"""What every service module's cases have in common, so ratings and supervision work on any module.

A module that has cases with deadlines gives its AppConfig a ``case_provider`` (an object
implementing :class:`CaseProvider`, or its dotted path; ``services.module``). Ratings and
supervision look cases up by ``(module, number)`` and never import the module's models, so adding a
module is one folder.
"""

import datetime as dt
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from django.apps import apps

from cms.service_modules import resolve_hook

# Query codes: 10 characters from 31 that cannot be mistaken for one another (no 0/O, 1/I/L):
# 31**10 ≈ 8.2 × 10**14 codes, so guessing one is hopeless behind the lookup throttle [0079].
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_query_code() -> str:
    """A fresh query code for a case (``CODE_ALPHABET``, ``CODE_LENGTH``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    """The code as stored: citizens may type it in lower case, with spaces or hyphens."""
    return "".join(ch for ch in str(raw).upper() if ch not in " -\t")


def code_matches(stored: str, typed: str) -> bool:
    """Constant-time comparison of a stored query code with what the citizen typed."""
    return hmac.compare_digest(stored.encode(), normalize_code(typed).encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class CaseInfo:
    module: str
    number: str
    title: str
    item: str  # 事项 (for letters: the kind, 咨询/投诉/建议)
    department: str
    accepted: dt.date
    deadline: dt.date
    closed_on: dt.date | None = None
    handler_contacts: tuple[str, ...] = field(default_factory=tuple)  # handler's e-mail/phone
    department_id: int | None = None  # the department record (content_models.Department), when routed

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class CaseProvider(Protocol):
    module: str
    ratable: bool  # optional, default True: citizens rate these cases (好差评)

    def get(self, number: str) -> CaseInfo | None: ...

    def verify(self, number: str, query_code: str) -> CaseInfo | None:
        """The case when ``query_code`` is right, else None."""

    def iter_open(self) -> Iterable[CaseInfo]: ...

    def iter_closed_between(self, start: dt.date, end: dt.date) -> Iterable[CaseInfo]: ...

    def on_bad_rating(self, number: str) -> None:
        """Called when the citizen rates the answer 不满意/非常不满意 (letters reopen the case)."""


def split_contacts(text: str) -> tuple[str, ...]:
    """The handler's contacts from a comma-separated field, blanks dropped."""
    return tuple(c.strip() for c in text.split(",") if c.strip())


class RowCases:
    """A provider over one model's ``.values()`` rows: the lookups every module shares.

    Subclasses give ``_qs()`` (a values queryset that includes ``number`` and ``query_code``)
    and ``_info(row)``; ``get`` and ``verify`` are the same for every module.
    """

    module: str

    def _qs(self):
        raise NotImplementedError

    def _info(self, row: dict) -> CaseInfo:
        raise NotImplementedError

    def get(self, number: str) -> CaseInfo | None:
        row = self._qs().filter(number=number).first()
        return self._info(row) if row else None

    def verify(self, number: str, query_code: str) -> CaseInfo | None:
        row = self._qs().filter(number=number).first()
        if row and code_matches(row["query_code"], query_code):
            return self._info(row)
        return None


def providers() -> dict[str, CaseProvider]:
    """Case providers of the installed service modules, by module name."""
    out: dict[str, CaseProvider] = {}
    for config in apps.get_app_configs():
        provider = resolve_hook(getattr(config, "case_provider", None))
        if provider is not None:
            out[provider.module] = provider
    return out


def provider(module: str) -> CaseProvider | None:
    return providers().get(module)


def rateable_modules() -> list[str]:
    """The modules whose cases citizens rate (好差评): their providers are ``ratable``."""
    return [module for module, p in providers().items() if getattr(p, "ratable", True)]
