from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_read"),
    path("urging/<int:pk>/", views.urging_answer, name="urging_answer"),
    path("plans/", views.plans, name="plans"),
    path("plans/case/<int:case_pk>/", views.plan_file, name="plan_file"),
    path("plans/<int:pk>/review/", views.plan_review, name="plan_review"),
    path("tracking/", views.tracking, name="tracking"),
    path("<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("dispatch/", views.dispatch_list, name="dispatch_list"),
    path("dispatch/<int:pk>/", views.dispatch_detail, name="dispatch_detail"),
    path("dispatch/<int:pk>/acknowledge/", views.dispatch_acknowledge, name="dispatch_acknowledge"),
]
