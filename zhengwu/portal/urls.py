from django.urls import path

from zhengwu.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("elder-mode/", views.elder_mode, name="elder_mode"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("guide/", views.guide_index, name="guide_index"),
    path("guide/search", views.search, name="search"),
    path("guide/departments/", views.by_department, name="by_department"),
    path("guide/departments/<int:department_id>/", views.department, name="department"),
    path("guide/for/<slug:audience>/", views.by_theme, name="by_theme"),
    path("guide/life-events/", views.life_events, name="life_events"),
    path("guide/themes/<slug:code>/", views.theme, name="theme"),
    path("guide/online/", views.online, name="online"),
    path("guide/<str:basic_code>/", views.guide, name="guide"),
    path("guide/<str:basic_code>/result-sample/", views.result_sample_download, name="result_sample"),
    path("guide/<str:basic_code>/materials/<int:material_id>/<slug:kind>/", views.material_download,
         name="material_download"),
    path("hall/", views.hall_list, name="hall_list"),
    path("hall/<int:centre_id>/", views.hall, name="hall"),
    path("staff/", views.staff_home, name="staff_home"),
]
