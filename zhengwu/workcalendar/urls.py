from django.urls import path

from zhengwu.workcalendar import views

app_name = "workcalendar"
urlpatterns = [
    path("deadline/", views.deadline, name="deadline"),
]
