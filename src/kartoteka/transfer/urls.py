"""Pages of the import wizard and the export dialog."""

from django.urls import path

from kartoteka.transfer import views

app_name = "transfer"

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:import_id>/", views.import_detail, name="import"),
    path("imports/<int:import_id>/configure/", views.import_configure, name="import-configure"),
    path("imports/<int:import_id>/progress/", views.import_progress, name="import-progress"),
    path("imports/<int:import_id>/errors.csv", views.import_errors, name="import-errors"),
    path("imports/<int:import_id>/revert/", views.import_revert, name="import-revert"),
    path("imports/<int:import_id>/resume/", views.import_resume, name="import-resume"),
    path("export/", views.export, name="export"),
    path("exports/<int:export_id>/", views.export_detail, name="export-detail"),
    path("exports/<int:export_id>/file/", views.export_file, name="export-file"),
    path("contacts/<int:contact_id>/vcard/", views.contact_vcard, name="contact-vcard"),
]
