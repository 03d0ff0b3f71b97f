"""Pages of the frame itself: the home page and the settings entry lead to apps' pages."""

from django.urls import path
from django.views.generic import RedirectView

app_name = "web"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:contact-list"), name="home"),
    path("settings/", RedirectView.as_view(pattern_name="web:settings-details"), name="settings"),
]
