from django.urls import path

from zhengwu.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
]
