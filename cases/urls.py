from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("integration/", views.integration_account, name="integration"),
    path("cases/", views.case_list, name="list"),
    path("cases/register/", views.case_register, name="register"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("cases/<int:pk>/<slug:action>/", views.case_action, name="action"),
    path("cases/import/", views.case_import, name="import"),
    path("staff/", views.reassign, name="reassign"),
]
