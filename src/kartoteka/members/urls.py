"""Pages of members: the members' area and the team's side."""

from django.urls import path

from kartoteka.members import views

app_name = "members"

urlpatterns = [
    path("members/", views.area, name="area"),
    path("members/sign-out/", views.sign_out, name="sign-out"),
    path("members/reset/", views.reset, name="reset"),
    path("members/password/<str:token>", views.set_password, name="set-password"),
    path("members/details/", views.details, name="details"),
    path("members/change-password/", views.change_password, name="change-password"),
    path("members/preferences/", views.preferences, name="preferences"),
    path("members/data.zip", views.download, name="download"),
    path("members/forget/", views.forget, name="forget"),
    path("members/forget/<str:token>", views.forget_confirm, name="forget-confirm"),
    path("contacts/<int:contact_id>/membership/", views.membership, name="membership"),
    path("settings/members/", views.settings_page, name="settings"),
]
