"""Pages of accounts. Their names stay under "web:" (see kartoteka/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from kartoteka.accounts import views

app_name = "web"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("settings/users/", views.users, name="settings-users"),
    path("settings/workspace/", views.workspace, name="settings-workspace"),
]
