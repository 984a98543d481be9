from django.urls import path

app_name = "workcalendar"
urlpatterns: list = []
