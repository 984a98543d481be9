from django.urls import path

from zhengwu.licences import views

app_name = "licences"

urlpatterns = [
    path("verify/<str:identifier>/", views.verify, name="verify"),
]
