from django.urls import path

from zhengwu.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.index, name="index"),
    path("reengineering/", views.reengineering, name="reengineering"),
    path("changes/", views.changes, name="changes"),
    path("excel/", views.excel, name="excel"),
    path("excel/export.xlsx", views.export, name="export"),
    path("items/<str:code>/flowchart.svg", views.flowchart, name="flowchart"),
]
