"""Pages of the frame itself: the home page and the settings entry lead to apps' pages."""

from django.urls import path
from django.views.generic import RedirectView

from kartoteka.web import pages

app_name = "web"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:contact-list"), name="home"),
    path("settings/", pages.settings_home, name="settings"),
]
