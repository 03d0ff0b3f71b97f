"""Pages of the web app: sign-in, the contact list and card, settings."""

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from kartoteka.web import views

app_name = "web"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:contact-list"), name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("clients/", views.client_list, name="clients"),
    path("settings/", views.settings_home, name="settings"),
]
