"""Public API of the catalogue: the published items (for other sites and apps) and one item's guide."""

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from services.api_common import CleanInput, Message
from services.guides.models import ServiceItem
from services.guides.pages import ITEM_FIELDS, Catalogue, guide, line

router = Router()


class ItemLine(Schema):
    code: str
    name: str
    kind: str
    department: str
    promised_days: int


class ListParams(CleanInput):
    department: str = Field("", max_length=64, description="部门站点代号")
    topic: str = Field("", max_length=50, description="主题网址代号")
    audience: str = Field("", max_length=50, description="服务对象网址代号")


@router.get("/items", response=list[ItemLine], summary="服务事项目录")
def items(request, params: Query[ListParams]):
    qs = ServiceItem.objects.filter(published=True).order_by("code")
    if params.department:
        qs = qs.filter(department__slug=params.department)
    if params.topic:
        qs = qs.filter(topics__slug=params.topic)
    if params.audience:
        qs = qs.filter(audiences__slug=params.audience)
    return [line(row) for row in qs.values(*ITEM_FIELDS)[:2000]]


@router.get("/items/{code}", response={200: dict, 404: Message}, summary="一个事项的办事指南")
def item(request, code: str):
    cat = Catalogue(ServiceItem.objects.filter(published=True, code=code))
    if not cat.rows:
        return 404, {"message": _("未找到该事项")}
    return 200, guide(cat.rows[0], cat)
