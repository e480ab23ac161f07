"""Clear Chinese error answers for the whole API.

Ninja's default 422 lists pydantic's English messages. Here every error names the field by its
Chinese label (collected from the modules' ``FIELD_LABELS``) and says what is wrong in Chinese::

    {"message": "联系电话：格式不正确", "errors": [{"field": "phone", "label": "联系电话", "message": "..."}]}
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja.errors import AuthenticationError, HttpError, ValidationError

# field name -> label; modules add theirs with register_labels()
FIELD_LABELS: dict[str, str] = {
    "body": "请求内容",
    "idempotency-key": "Idempotency-Key 请求头",
    "challenge_token": "验证题标识",
    "challenge_answer": "验证题答案",
}


# labels that are not also model field names, listed so makemessages keeps their translations
_EXTRA_LABELS = [
    gettext_noop("页码"), gettext_noop("写信对象"), gettext_noop("是否公开"), gettext_noop("业务类型"),
    gettext_noop("评价等级"), gettext_noop("统计维度"), gettext_noop("验证题标识"), gettext_noop("验证题答案"),
    gettext_noop("请求内容"), gettext_noop("Idempotency-Key 请求头"),
]


def register_labels(labels: dict[str, str]) -> None:
    FIELD_LABELS.update(labels)


def _message_for(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("不能为空")
    if kind in {"string_too_short", "too_short"}:
        if ctx.get("min_length") == 1:
            return _("不能为空")
        return _("至少需要 %(n)s 个字符") % {"n": ctx.get("min_length")}
    if kind in {"string_too_long", "too_long"}:
        return _("不能超过 %(n)s 个字符") % {"n": ctx.get("max_length")}
    if kind == "string_pattern_mismatch":
        return _("格式不正确")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("应为整数")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("不能小于 %(n)s") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in {"less_than_equal", "less_than"}:
        return _("不能大于 %(n)s") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in {"bool_parsing", "bool_type"}:
        return _("应为 true 或 false")
    if kind in {"literal_error", "enum"}:
        expected = ctx.get("expected", "")
        return _("取值无效，可选：%(v)s") % {"v": expected} if expected else _("取值无效")
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("日期格式应为 YYYY-MM-DD")
    if kind in {"json_invalid", "model_attributes_type", "dict_type", "model_type"}:
        return _("应为有效的 JSON 对象")
    if kind == "string_type":
        return _("应为文本")
    if kind == "string_unicode":
        return _("包含无效字符")
    if kind == "value_error":
        msg = str(error.get("msg", ""))
        return msg.removeprefix("Value error, ") or _("取值无效")
    return _("取值无效")


def describe_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Turn pydantic/ninja error dicts into ``{field, label, message}`` with Chinese text."""
    out = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "payload", "form")]
        # ninja wraps a JSON body in the argument name ("payload"); the field is the last part
        field = loc[-1] if loc else "body"
        if field.isdigit() and len(loc) > 1:
            field = loc[-2]
        label = _(FIELD_LABELS.get(field, field))  # most labels are model field names in the catalog
        message = _("%(label)s：%(message)s") % {"label": label, "message": _message_for(error)}
        out.append({"field": field, "label": label, "message": message})
    return out


def validation_error(request: HttpRequest, exc: ValidationError, api) -> HttpResponse:
    errors = describe_errors(exc.errors)
    summary = "；".join(e["message"] for e in errors) or _("请求内容不正确")
    return api.create_response(request, {"message": summary, "errors": errors}, status=422)


class ServiceError(HttpError):
    """An error answer whose message is already translated for the user (raised by the modules)."""


class Throttled(ServiceError):
    """429 with ``Retry-After``: the client or the case number has to wait ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, message)
        self.retry_after = max(1, int(retry_after))


_HTTP_MESSAGES = {
    400: gettext_noop("请求不正确"),
    401: gettext_noop("请先登录"),
    403: gettext_noop("没有权限"),
    404: gettext_noop("未找到"),
    405: gettext_noop("不支持该请求方法"),
    409: gettext_noop("请求冲突"),
    429: gettext_noop("请求过于频繁，请稍后再试"),
}


def http_error(request: HttpRequest, exc: HttpError, api) -> HttpResponse:
    message = str(exc)
    # ServiceError and Chinese messages (another area's router) are already written for the user;
    # ninja's own English messages ("Unauthorized", "Too many requests.") are replaced
    if not (isinstance(exc, ServiceError) or any("\u4e00" <= ch <= "\u9fff" for ch in message)):
        message = _(_HTTP_MESSAGES.get(exc.status_code, gettext_noop("请求不正确")))
    response = api.create_response(request, {"message": message}, status=exc.status_code)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(exc.retry_after)
    return response


def not_found(request: HttpRequest, exc: Exception, api) -> HttpResponse:
    return api.create_response(request, {"message": _("未找到")}, status=404)


def install(api) -> None:
    """Replace ninja's English error answers on ``api`` with the Chinese ones."""
    api.add_exception_handler(ValidationError, lambda r, e: validation_error(r, e, api))
    api.add_exception_handler(HttpError, lambda r, e: http_error(r, e, api))
    api.add_exception_handler(AuthenticationError, lambda r, e: http_error(r, e, api))
    api.add_exception_handler(Http404, lambda r, e: not_found(r, e, api))
