from django.urls import path

from . import views

app_name = "jobs"

# Mounted at /reports/jobs/ (courtflow/urls.py), where the page has always been.
urlpatterns = [
    path("", views.jobs, name="jobs"),
]
