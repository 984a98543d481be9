from django.apps import AppConfig


class WorkcalendarConfig(AppConfig):
    name = "zhengwu.workcalendar"
    label = "workcalendar"
    verbose_name = "工作日历与时限"

    def ready(self) -> None:
        from django.core.signals import request_started

        from zhengwu.workcalendar import workdays

        request_started.connect(workdays._request_started, dispatch_uid="workcalendar_recheck")
