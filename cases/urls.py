from django.urls import path

from . import limits_views, views

app_name = "cases"

urlpatterns = [
    path("integration/", views.integration_account, name="integration"),
    path("cases/", views.case_list, name="list"),
    path("cases/register/", views.case_register, name="register"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="action"),
    path("cases/<int:pk>/limits/periods/new/", limits_views.period_record, name="limit_period_record"),
    path("cases/limits/periods/<int:period_pk>/end/", limits_views.period_end, name="limit_period_end"),
    path("cases/<int:pk>/limits/extensions/new/", limits_views.extension_request, name="limit_extension_request"),
    path(
        "cases/limits/extensions/<int:extension_pk>/decide/",
        limits_views.extension_decide,
        name="limit_extension_decide",
    ),
    path("cases/hidden-overruns/", limits_views.hidden_overruns, name="hidden_overruns"),
    path("cases/import/", views.case_import, name="import"),
    path("staff/", views.reassign, name="reassign"),
]
