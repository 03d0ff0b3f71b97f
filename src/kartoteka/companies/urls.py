"""Pages of companies: the list, a company, merging."""

from django.urls import path

from kartoteka.companies import views

app_name = "companies"

urlpatterns = [
    path("companies/", views.company_list, name="list"),
    path("companies/export/", views.export, name="export"),
    path("companies/new/", views.company_new, name="new"),
    path("companies/merge/", views.merge, name="merge"),
    path("settings/company-details/", views.company_fields, name="fields"),
    path("companies/merges/<int:merge_id>/undo/", views.undo, name="undo"),
    path("companies/<int:company_id>/", views.company_page, name="page"),
    path("companies/<int:company_id>/people/", views.person, name="person"),
    path("companies/<int:company_id>/people/search/", views.person_search, name="person-search"),
    path("companies/<int:company_id>/notes/", views.note, name="note"),
    path("companies/<int:company_id>/delete/", views.delete, name="delete"),
]
