from django.apps import AppConfig


class WorkcalendarConfig(AppConfig):
    name = "zhengwu.workcalendar"
    label = "workcalendar"
    verbose_name = "工作日历与时限"
