"""Pages of contacts: the contact list, the Clients view, the card, and the settings of custom
details and tags. Their names stay under "web:" (see kartoteka/urls.py)."""

from django.urls import path

from kartoteka.contacts import card, sections, settings_views, status_views, views

app_name = "web"

_contact = "contacts/<int:contact_id>/"

urlpatterns = [
    path("account/dashboard/", card.save_layout, name="dashboard-layout"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/count/", views.contact_count, name="contact-count"),
    path("contacts/columns/", views.save_columns, name="list-columns"),
    path("contacts/bulk/", views.bulk_action, name="contact-bulk"),
    path("contacts/bulk/<int:change_id>/", views.bulk_change, name="bulk-change"),
    path("contacts/density/", views.save_density, name="list-density"),
    path("contacts/new/", views.contact_new, name="contact-new"),
    path("clients/", views.client_list, name="clients"),
    path(_contact, card.card, name="contact-card"),
    path(f"{_contact}header/", card.card_header, name="card-header"),
    path(f"{_contact}sections/<slug:key>/", card.card_section, name="card-section"),
    path(f"{_contact}fields/<slug:key>/", card.edit_field, name="card-field"),
    path(f"{_contact}delete/", card.delete_contact, name="contact-delete"),
    path(f"{_contact}timeline/", sections.timeline_more, name="timeline-more"),
    path(f"{_contact}tags/add/", sections.add_tag, name="tag-add"),
    path(f"{_contact}tags/remove/", sections.remove_tag, name="tag-remove"),
    path(f"{_contact}owners/", sections.edit_owners, name="owners-edit"),
    path(f"{_contact}details/<slug:key>/", sections.edit_detail, name="detail-edit"),
    path("settings/details/", settings_views.details, name="settings-details"),
    path("settings/details/define/", settings_views.define_field, name="define-field"),
    path("settings/tags/", settings_views.tags, name="settings-tags"),
    path("settings/statuses/", status_views.statuses, name="settings-statuses"),
]
