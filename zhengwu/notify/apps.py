from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "zhengwu.notify"
    label = "notify"
    verbose_name = "通知"
