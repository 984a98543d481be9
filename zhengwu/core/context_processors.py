from django.conf import settings


def site(request):
    return {"SITE_NAME": "政务服务网", "ZHENGWU_ENV": settings.ZHENGWU_ENV}
