from django.urls import path

from config.urls import urlpatterns as project_urls


def boom(request):
    raise RuntimeError("secret detail: /srv/zhengwu/config.py line 42")


urlpatterns = [path("boom/", boom), *project_urls]
