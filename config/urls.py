from django.contrib import admin
from django.urls import include, path

from zhengwu.api.api import api
from zhengwu.core.views import healthz

admin.site.site_header = "政务服务平台 管理后台"
admin.site.site_title = "政务服务平台"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("zhengwu.accounts.urls")),
    path("calendar/", include("zhengwu.workcalendar.urls")),
    path("catalog/", include("zhengwu.catalog.urls")),
    path("licences/", include("zhengwu.licences.urls")),
    path("supervision/", include("zhengwu.supervision.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("zhengwu.cases.urls")),
    path("", include("zhengwu.portal.urls")),
]
