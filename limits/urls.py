from django.urls import path

from . import views

app_name = "limits"

# Under /cases/ like the case pages they belong to (the addresses are unchanged since the clock
# had its own app).
urlpatterns = [
    path("cases/<int:pk>/limits/periods/new/", views.period_record, name="period_record"),
    path("limits/periods/<int:period_pk>/end/", views.period_end, name="period_end"),
    path("cases/<int:pk>/limits/extensions/new/", views.extension_request, name="extension_request"),
    path("limits/extensions/<int:extension_pk>/decide/", views.extension_decide, name="extension_decide"),
    path("cases/hidden-overruns/", views.hidden_overruns, name="hidden_overruns"),
]
