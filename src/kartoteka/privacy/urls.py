"""Pages of data-subject requests."""

from django.urls import path

from kartoteka.privacy import views

app_name = "privacy"

urlpatterns = [
    path("contacts/<int:contact_id>/export/", views.export, name="export"),
    path("contacts/<int:contact_id>/monitoring/", views.monitoring, name="monitoring"),
    path("contacts/<int:contact_id>/forget/", views.forget, name="forget"),
    path("privacy/forgotten/", views.log, name="log"),
    path("privacy/forgotten/<int:record_id>/", views.record, name="record"),
]
