"""Pages of duplicates and merging."""

from django.urls import path

from kartoteka.duplicates import views

app_name = "duplicates"

urlpatterns = [
    path("duplicates/", views.duplicate_list, name="list"),
    path("duplicates/scan/", views.start_scan, name="scan"),
    path("duplicates/scan/progress/", views.scan_progress, name="scan-progress"),
    path("duplicates/compare/", views.compare, name="compare"),
    path("duplicates/merge-exact/", views.merge_exact, name="merge-exact"),
    path("duplicates/rules/", views.rules, name="rules"),
    path("contacts/<int:contact_id>/merge-with/", views.merge_with, name="merge-with"),
    path("contacts/<int:contact_id>/merges/", views.contact_merges, name="contact-merges"),
    path("merges/<int:merge_id>/undo/", views.undo, name="undo"),
]
