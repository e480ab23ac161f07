"""Public API of the status module: look up one application; browse the public (masked) list.

``lookup`` is the hot path (citizens poll it): one prepared SQL statement on the unique index of
``number`` over a persistent per-thread connection (services.fastdb), the query code compared in
constant time, and the answer serialized with orjson straight into the response, skipping ninja's
output validation (the declared schema still documents it). A miss is a normal answer, so it is not
logged as a warning. On a server (``cms.wsgi``) a well-formed lookup does not even pass ninja or
Django's routing: ``fast_routes`` hands :func:`answer_lookup` to the short path [0085].
"""

import datetime as dt
from functools import lru_cache

import orjson
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cms.api.errors import Throttled, register_labels
from cms.fastpath import FastRoute
from services import throttle
from services.api_common import CleanInput, Message
from services.cases import code_matches
from services.fastdb import fetch_one
from services.masking import mask_name, mask_text
from services.status.models import Application

router = Router()
register_labels({"no": "办件编号", "code": "查询码", "page": "页码", "department": "部门"}, under="services/status")

STATUS_LABELS = dict(Application.Status.choices)
LOOKUP_FIELDS = ("number", "query_code", "applicant", "item", "department", "accepted_on", "deadline",
                 "status", "result", "closed_on")


class ApplicationOut(Schema):
    number: str
    applicant: str
    item: str
    department: str
    accepted_on: dt.date
    deadline: dt.date
    status: str
    status_label: str
    result: str
    closed_on: dt.date | None


class PublicApplication(Schema):
    number: str
    applicant: str = Field(..., description="个人姓名已脱敏")
    item: str
    department: str
    accepted_on: dt.date
    status_label: str
    closed_on: dt.date | None


class PublicPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[PublicApplication]


class LookupParams(CleanInput):
    no: str = Field(..., min_length=1, max_length=40)
    code: str = Field(..., min_length=1, max_length=20)


def _json(data, status: int = 200) -> HttpResponse:
    response = HttpResponse(orjson.dumps(data), content_type="application/json; charset=utf-8", status=status)
    response._has_been_logged = True  # an expected 404 is not a "Not Found" warning in the log
    return response


LOOKUP_SQL = "SELECT {cols} FROM {table} WHERE number = %s".format(
    cols=", ".join(LOOKUP_FIELDS), table=Application._meta.db_table
)
_DATE_FIELDS = ("accepted_on", "deadline", "closed_on")


@lru_cache(maxsize=64)
def _label(status: str, language: str) -> str:
    return str(STATUS_LABELS.get(status, status))  # translated in the active language


def _status_label(status: str) -> str:
    return _label(status, get_language() or "")


def _find(number: str) -> dict | None:
    return fetch_one(LOOKUP_SQL, (number,))


def answer_lookup(request, no: str, code: str) -> HttpResponse:
    """The lookup's answer, the same through ninja and through the short path (cms.fastpath)."""
    number = no.strip()
    try:
        row = throttle.find_by_code(request, "status", number, _find,
                                    lambda row: code_matches(row.pop("query_code"), code))
    except Throttled as exc:
        response = _json({"message": str(exc)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if row is None:
        # one answer for both cases, so the endpoint does not reveal which numbers exist
        return _json({"message": _("未找到该办件，请核对办件编号和查询码")}, status=404)
    for name in _DATE_FIELDS:  # SQLite returns ISO strings, PostgreSQL dates: both serialize the same
        value = row[name]
        row[name] = value.isoformat() if value is not None and not isinstance(value, str) else value
    row["status_label"] = _status_label(row["status"])
    return _json(row)


@router.get("/lookup", response={200: ApplicationOut, 404: Message, 429: Message},
            summary="凭办件编号和查询码查询办件（查询码错误过多时暂时锁定）")
def lookup(request, params: Query[LookupParams]):
    return answer_lookup(request, params.no, params.code)


def _length_limits(name: str) -> tuple[int, int]:
    meta = LookupParams.model_fields[name].metadata
    return (next(m.min_length for m in meta if hasattr(m, "min_length")),
            next(m.max_length for m in meta if hasattr(m, "max_length")))


_LIMITS = {name: _length_limits(name) for name in ("no", "code")}


def _accepts(query) -> bool:
    """The short path takes only what ``LookupParams`` would: each parameter once, within its
    length, no NUL; anything else goes through ninja and gets its Chinese 422."""
    for name, (shortest, longest) in _LIMITS.items():
        values = query.getlist(name)
        if len(values) != 1 or not shortest <= len(values[0]) <= longest or "\x00" in values[0]:
            return False
    return True


def _fast_lookup(request) -> HttpResponse:
    return answer_lookup(request, request.GET["no"], request.GET["code"])


# citizens poll this: answered ahead of Django's routing (cms.fastpath, StatusConfig.fast_routes)
fast_routes = {"lookup": FastRoute(view=_fast_lookup, accepts=_accepts)}


class ListParams(CleanInput):
    page: int = Field(1, ge=1, le=100000)
    department: str = Field("", max_length=100)


PAGE_SIZE = 20


@router.get("/applications", response=PublicPage, summary="办件公示列表（申请人姓名脱敏）")
def public_list(request, params: Query[ListParams]):
    qs = Application.objects.filter(is_public=True)
    if params.department:
        qs = qs.filter(department=params.department)
    start = (params.page - 1) * PAGE_SIZE
    rows = qs.values("number", "applicant", "item", "department", "accepted_on", "status", "closed_on")[
        start : start + PAGE_SIZE
    ]
    items = [
        {**row, "applicant": mask_name(row["applicant"]), "item": mask_text(row["item"]), "status_label": str(STATUS_LABELS.get(row["status"], ""))}
        for row in rows
    ]
    return {"count": qs.count(), "page": params.page, "page_size": PAGE_SIZE, "items": items}
