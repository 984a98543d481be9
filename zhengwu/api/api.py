"""The REST API at /api/v1/: one NinjaAPI, one error format, routers from each app."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from zhengwu.core.errors import DomainError

api = NinjaAPI(
    title="政务服务平台 API / Zhengwu API",
    version="1",
    description="政务服务事项、工作日历与办件接口。错误格式统一为 {code, message, message_en, details}。",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    details = [
        {"field": ".".join(str(p) for p in err.get("loc", [])), "message": err.get("msg", "")} for err in exc.errors
    ]
    body = {"code": "bad_request", "message": "请求参数有误", "message_en": "invalid request parameters",
            "details": details}
    return api.create_response(request, body, status=400)


_HTTP_ERRORS = {
    400: ("bad_request", "请求内容无法解析（应为 JSON）"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "无权执行此操作"),
    405: ("method_not_allowed", "不支持该请求方法"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # ninja raises HttpError for unparsable bodies, failed auth and throttling; keep our one error format.
    code, message = _HTTP_ERRORS.get(exc.status_code, ("error", "请求失败"))
    return api.create_response(request, {"code": code, "message": message, "message_en": str(exc)},
                               status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "对象不存在", "message_en": "not found"},
                               status=404)


def _register_routers() -> None:
    # Each app exposes `router` in its api.py; listed here once, in dependency order.
    from zhengwu.cases.api import router as cases_router
    from zhengwu.catalog.api import router as catalog_router
    from zhengwu.licences.api import router as licences_router
    from zhengwu.notify.api import router as notify_router
    from zhengwu.org.api import router as org_router
    from zhengwu.supervision.api import router as supervision_router
    from zhengwu.workcalendar.api import router as calendar_router

    api.add_router("/calendar", calendar_router)
    api.add_router("/org", org_router)
    api.add_router("/items", catalog_router)
    api.add_router("/licences", licences_router)
    api.add_router("/cases", cases_router)
    api.add_router("/notices", notify_router)
    api.add_router("/supervision", supervision_router)


_register_routers()
