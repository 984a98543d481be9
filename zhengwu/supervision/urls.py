from django.urls import path

from zhengwu.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("departments/<int:department_id>/", views.dashboard, name="department"),
    path("departments/<int:department_id>/cards/", views.card_create, name="card_create"),
    path("departments/<int:department_id>/accountability/", views.accountability_create,
         name="accountability_create"),
    path("departments/<int:department_id>/cards/<int:card_id>/<slug:action>/", views.card_act, name="card_act"),
    path("windows/<int:window_id>/", views.window_cases, name="window"),
    path("bulletin/", views.bulletin_page, name="bulletin"),
    path("bulletin.<str:fmt_name>", views.bulletin_download, name="bulletin_download"),
    path("screen/", views.screen, name="screen"),
    path("records/", views.records, name="records"),
    path("orders/", views.orders, name="orders"),
    path("orders/new/", views.order_create, name="order_create"),
    path("rules/<str:code>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("ratings/", views.ratings, name="ratings"),
    path("ratings/<int:rating_id>/", views.rating_follow_up, name="rating"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("thresholds/save/", views.threshold_save, name="threshold_save"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("orders/<int:order_id>/<slug:action>/", views.order_act, name="order_act"),
]
