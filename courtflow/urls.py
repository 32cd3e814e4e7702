from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from cases import views as case_views
from courtflow.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", case_views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("courtflow.api_urls")),
    path("alerts/", include("alerts.urls")),
    # The jobs page, where it has always been (before reports/: the jobs app's own URLs).
    path("reports/jobs/", include("jobs.urls")),
    path("reports/", include("reports.urls")),
    path("", case_views.home, name="home"),
    path("", include("limits.urls")),
    path("", include("cases.urls")),
]

# JSON under /api/, the HTML pages elsewhere (courtflow/errors.py).
handler400 = "courtflow.errors.bad_request"
handler403 = "courtflow.errors.permission_denied"
handler404 = "courtflow.errors.page_not_found"
handler500 = "courtflow.errors.server_error"
