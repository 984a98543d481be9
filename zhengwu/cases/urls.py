from django.urls import path

from zhengwu.cases import views

app_name = "cases"
urlpatterns = [
    # Applicants (public site)
    path("cases/signup/", views.signup, name="signup"),
    path("cases/signin/", views.SignInView.as_view(), name="signin"),
    path("cases/apply/<str:basic_code>/", views.apply, name="apply"),
    path("cases/my/", views.my_list, name="my_list"),
    path("cases/my/<str:case_no>/", views.my_detail, name="my_detail"),
    path("cases/my/<str:case_no>/upload/", views.my_upload, name="my_upload"),
    path("cases/my/<str:case_no>/correction/", views.my_correction, name="my_correction"),
    path("cases/my/<str:case_no>/withdraw/", views.my_withdraw, name="my_withdraw"),
    path("cases/my/<str:case_no>/rate/", views.my_rate, name="my_rate"),
    # Documents and materials of a case, for whoever may see it
    path("cases/<str:case_no>/documents/<slug:kind>/", views.document_download, name="document"),
    path("cases/<str:case_no>/materials/<int:material_id>/", views.material_download, name="material"),
    # Public without login
    path("cases/progress/", views.progress, name="progress"),
    path("hall/screen/", views.hall_screen, name="hall_screen"),
    # Staff workbench
    path("work/", views.workbench, name="workbench"),
    path("work/register/", views.walk_in, name="walk_in"),
    path("work/<str:case_no>/", views.staff_case, name="staff_case"),
    path("work/<str:case_no>/id-number/", views.staff_id_number, name="staff_id_number"),
    path("work/<str:case_no>/<slug:action>/", views.staff_act, name="staff_act"),
]
