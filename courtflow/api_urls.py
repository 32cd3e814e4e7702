"""The REST API: /api/v1/ resources, the OpenAPI schema and its docs page (served locally)."""

from django.urls import include, path, re_path
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from alerts import api as alerts_api
from cases import api as cases_api
from courtflow.errors import api_error
from limits import api as limits_api
from reports import api as reports_api

app_name = "api"

# Every app adds its own resources (its api/ package's register(router)), in dependency order.
router = DefaultRouter()
for app_api in (cases_api, limits_api, alerts_api, reports_api):
    app_api.register(router)


class EnglishSchemaView(SpectacularAPIView):
    """The contract is written in English whatever the browser's language (?lang= still wins)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if request.GET.get("lang"):
            return super().get(request, *args, **kwargs)
        with translation.override("en"):
            return super().get(request, *args, **kwargs)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Anything else under /api/ answers JSON, as the schema promises, not the HTML 404 page
    (handler404 does the same in production; this route keeps it so with DEBUG on)."""
    return api_error(404)


urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", EnglishSchemaView.as_view(), name="schema"),
    # The split view serves the page's script from ?script, not inline: the Content-Security-Policy
    # runs no inline script (courtflow/headers.py).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    # [\s\S], not ".": a newline in the path (%0A) must not fall through to the HTML 404 page.
    re_path(r"^[\s\S]*$", not_found),
]
