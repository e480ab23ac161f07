"""One error format for everything under ``/api/``: JSON with a Chinese ``message`` [0081].

Ninja's default 422 lists pydantic's English messages. Here every error names the field by its
Chinese label (registered by each router with ``register_labels``, scoped to its URL) and says
what is wrong in Chinese::

    {"message": "联系电话：格式不正确", "errors": [{"field": "phone", "label": "联系电话", "message": "..."}]}

Answers that never reach a view come out the same way through ``ApiErrorMiddleware``: unknown
URLs (404), wrong methods (405), bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), bodies that
are not JSON (415), NUL characters in the URL or query (400, PostgreSQL cannot compare them) and
any exception (500, logged): no ``/api/`` answer is an HTML page.
"""

import logging
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja.errors import AuthenticationError, HttpError, ValidationError

API_PREFIX = "/api/"
logger = logging.getLogger("django.request")

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
    gettext_noop("请求内容"), gettext_noop("Idempotency-Key 请求头"), gettext_noop("申诉理由"),
]


# (URL prefix under /api/, labels): a router's own names for its fields, e.g. "no" is 办件编号 in
# services/status and 信件编号 in services/letters; the longest matching prefix wins
_SCOPED_LABELS: list[tuple[str, dict[str, str]]] = []


def register_labels(labels: dict[str, str], under: str | None = None) -> None:
    """Chinese labels of a router's fields; ``under`` (the URL below ``/api/``, e.g.
    ``services/ratings/appeal``) keeps them to that router or endpoint."""
    if under is None:
        FIELD_LABELS.update(labels)
        return
    prefix = API_PREFIX + under.strip("/")
    _SCOPED_LABELS.append((prefix, labels))
    _SCOPED_LABELS.sort(key=lambda item: -len(item[0]))


def label_for(field: str, path: str = "") -> str:
    """The untranslated label of ``field`` for a request to ``path``."""
    for prefix, labels in _SCOPED_LABELS:
        if field in labels and (path == prefix or path.startswith(prefix + "/")):
            return labels[field]
    return FIELD_LABELS.get(field, field)


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


def describe_errors(errors: list[dict[str, Any]], path: str = "") -> list[dict[str, str]]:
    """Turn pydantic/ninja error dicts into ``{field, label, message}`` with Chinese text."""
    out = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header", "payload", "form")]
        # ninja wraps a JSON body in the argument name ("payload"); the field is the last part
        field = loc[-1] if loc else "body"
        if field.isdigit() and len(loc) > 1:
            field = loc[-2]
        label = _(label_for(field, path))  # most labels are model field names in the catalog
        message = _("%(label)s：%(message)s") % {"label": label, "message": _message_for(error)}
        out.append({"field": field, "label": label, "message": message})
    return out


def validation_error(request: HttpRequest, exc: ValidationError, api) -> HttpResponse:
    errors = describe_errors(exc.errors, request.path)
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
    413: gettext_noop("请求内容过大"),
    415: gettext_noop("不支持的内容类型，请以 application/json 提交"),
    422: gettext_noop("请求内容不正确"),
    429: gettext_noop("请求过于频繁，请稍后再试"),
    500: gettext_noop("服务器内部错误，请稍后再试"),
    503: gettext_noop("服务暂时不可用，请稍后再试"),
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


# --- answers that never reach a view ---------------------------------------------------------------

def _json(status: int, message: str, **headers: str) -> HttpResponse:
    response = HttpResponse(orjson.dumps({"message": message}), content_type="application/json; charset=utf-8",
                            status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _status_message(status: int) -> str:
    return _(_HTTP_MESSAGES.get(status, "请求不正确" if status < 500 else "服务器内部错误，请稍后再试"))


def _too_big() -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return _json(413, _("请求内容过大（最多 %(n)s KB）") % {"n": limit // 1024})


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _early_answer(request: HttpRequest) -> HttpResponse | None:
    """Refuse what no endpoint can take, before a view or Django's body parsing sees it."""
    if "\x00" in request.path or any("\x00" in k or any("\x00" in v for v in request.GET.getlist(k))
                                     for k in request.GET):
        return _json(400, _("请求地址或参数包含无效字符（NUL）"))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _json(400, _("请求头 Content-Length 不正确"))
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        return _too_big()
    if length > 0 and request.method in ("POST", "PUT", "PATCH") and not _is_json(request.content_type or ""):
        return _json(415, _status_message(415))
    return None


def _as_json(response: HttpResponse) -> HttpResponse:
    """Any error answer that is not JSON with a ``message`` becomes one (same status, same
    ``Allow`` and ``Retry-After``)."""
    if response.status_code < 400 or getattr(response, "streaming", False):
        return response
    if _is_json(response.get("Content-Type", "")):
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return response
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            message = body["detail"]
        else:
            message = _status_message(response.status_code)
    else:
        message = _status_message(response.status_code)
        if response.status_code == 405 and response.get("Allow"):
            message = _("不支持该请求方法，可用：%(m)s") % {"m": response["Allow"]}
    converted = _json(response.status_code, message)
    for header in ("Allow", "Retry-After", "Vary"):
        if header in response:
            converted[header] = response[header]
    return converted


class ApiErrorMiddleware:
    """Every ``/api/`` error answer as JSON with a Chinese message (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")):
            return self.get_response(request)
        with translation.override(translation.get_language_from_request(request)):
            early = _early_answer(request)
            if early is not None:
                return early
        response = self.get_response(request)
        with translation.override(translation.get_language_from_request(request)):
            return _as_json(response)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        with translation.override(translation.get_language_from_request(request)):
            if isinstance(exc, RequestDataTooBig):
                return _too_big()
            if isinstance(exc, Http404 | PermissionDenied | SuspiciousOperation | BadRequest):
                return None  # Django answers 404/403/400; __call__ turns the answer into JSON
            logger.error("Internal Server Error: %s", request.path, exc_info=exc, extra={"request": request})
            return _json(500, _status_message(500))
