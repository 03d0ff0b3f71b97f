"""The forms app's pages: Settings → Forms, submissions, and the public /f/{key}."""

from django.urls import path

from kartoteka.webforms import views

app_name = "webforms"

urlpatterns = [
    path("settings/forms/", views.form_list, name="forms"),
    path("settings/forms/<int:form_id>/", views.form_detail, name="form"),
    path("settings/forms/<int:form_id>/delete/", views.form_delete, name="form-delete"),
    path("forms/<int:form_id>/submissions/", views.submissions, name="submissions"),
    path("forms/<int:form_id>/submissions.csv", views.submissions_csv, name="submissions-csv"),
    path(
        "contacts/<int:contact_id>/submissions/",
        views.contact_submissions,
        name="contact-submissions",
    ),
    path("f/<str:key>", views.public, name="public"),
    path("f/<str:key>/token", views.fill_token, name="token"),
]
