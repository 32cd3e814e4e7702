from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from cases import views as case_views
from courtflow.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("courtflow.api_urls")),
    path("alerts/", include("alerts.urls")),
    path("reports/", include("reports.urls")),
    path("", case_views.home, name="home"),
    path("", include("cases.urls")),
]
