"""Public API of the status module: look up one application; browse the public (masked) list.

``lookup`` is the hot path (citizens poll it): one prepared SQL statement on the unique index of
``number`` over a persistent per-thread connection (services.fastdb), the query code compared in
constant time, and the answer serialized with orjson straight into the response, skipping ninja's
output validation (the declared schema still documents it). A miss is a normal answer, so it is not
logged as a warning.
"""

import datetime as dt

import orjson
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cms.api.errors import register_labels
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
    response = HttpResponse(orjson.dumps(data), content_type="application/json", status=status)
    response._has_been_logged = True  # an expected 404 is not a "Not Found" warning in the log
    return response


LOOKUP_SQL = "SELECT {cols} FROM {table} WHERE number = %s".format(
    cols=", ".join(LOOKUP_FIELDS), table=Application._meta.db_table
)
_DATE_FIELDS = ("accepted_on", "deadline", "closed_on")


@router.get("/lookup", response={200: ApplicationOut, 404: Message, 429: Message},
            summary="凭办件编号和查询码查询办件（查询码错误过多时暂时锁定）")
def lookup(request, params: Query[LookupParams]):
    number = params.no.strip()
    throttle.check_lookup(request, "status", number)
    row = fetch_one(LOOKUP_SQL, (number,))
    if row is None or not code_matches(row.pop("query_code"), params.code):
        # one answer for both cases, so the endpoint does not reveal which numbers exist
        throttle.lookup_failed(request, "status", number)
        return _json({"message": _("未找到该办件，请核对办件编号和查询码")}, status=404)
    for name in _DATE_FIELDS:  # SQLite returns ISO strings, PostgreSQL dates: both serialize the same
        value = row[name]
        row[name] = value.isoformat() if value is not None and not isinstance(value, str) else value
    row["status_label"] = str(STATUS_LABELS.get(row["status"], row["status"]))
    return _json(row)


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
