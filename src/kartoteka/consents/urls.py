"""Pages and fragments of consents."""

from django.urls import path

from kartoteka.consents import views

app_name = "consents"

urlpatterns = [
    path("contacts/<int:contact_id>/consents/", views.record, name="record"),
    path("contacts/<int:contact_id>/block/", views.block, name="block"),
    path("settings/consents/", views.purposes, name="purposes"),
]
