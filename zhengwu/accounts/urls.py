from django.contrib.auth import views as auth_views
from django.urls import path

from zhengwu.accounts import otp_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("otp/", otp_views.otp_verify_view, name="otp_verify"),
    path("otp/setup/", otp_views.otp_setup_view, name="otp_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
