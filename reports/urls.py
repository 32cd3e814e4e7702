from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("divisions/<int:pk>/", views.division_detail, name="division"),
    path("my-division/", views.division_home, name="division_home"),
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin"),
    path("bulletins/<int:pk>/publish/", views.bulletin_publish, name="bulletin_publish"),
    path("bulletins/<int:pk>/sign-off/", views.bulletin_sign_off, name="bulletin_sign_off"),
    path("bulletins/<int:pk>/figures.csv", views.bulletin_figures_csv, name="bulletin_figures_csv"),
    path("bulletins/<int:pk>/download.<str:fmt>", views.bulletin_download, name="bulletin_download"),
    path("dispatch/<int:pk>.xlsx", views.dispatch_xlsx, name="dispatch_xlsx"),
]
